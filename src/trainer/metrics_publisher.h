// Live metrics: while the job runs, the supervisor publishes what it has measured so far, every
// metrics interval (MLBOX_METRICS_SYNC_SECONDS / --metrics-interval, default 30 s) and once
// more at the end. Native mode: metrics.jsonl is derived from history.json (rewritten when
// history.json changed, so a resumed run's file matches its history). Bucket destinations:
// the TensorBoard dir and the output dir's metrics files are uploaded (RemoteSync::
// upload_metrics; changed files go up whole). Local destinations need no copy: the job
// writes into them directly.
#pragma once

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "trainer/remote_sync.h"

namespace mlbox::trainer {

inline constexpr std::chrono::milliseconds kDefaultMetricsInterval{30000};

class MetricsPublisher {
 public:
  // `remote` may be null (no bucket destinations, or not rank 0).
  MetricsPublisher(std::filesystem::path output_dir, bool derive_from_history, RemoteSync* remote,
                   FILE* log);
  // Derives and uploads what changed. Errors are reported on `log`, never thrown: a metrics
  // hiccup must not stop the training.
  void publish();

 private:
  void derive_metrics_jsonl();
  std::filesystem::path output_dir_;
  bool derive_;
  RemoteSync* remote_;
  FILE* log_;
  std::filesystem::file_time_type history_mtime_{};
  uintmax_t history_size_ = 0;
};

}  // namespace mlbox::trainer
