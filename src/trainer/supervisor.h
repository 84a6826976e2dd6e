// Supervisor mode: `mlbox-trainer -- python train.py ...`. Runs the user's command (or, in
// native mode, one mlbox-native process per GPU) in its own process group with the platform layout
// in its environment, streams its output line by line with UTC timestamps, forwards signals, and
// turns SIGTERM (spot reclaim, cancel) into an orderly stop: the child gets SIGTERM, then `grace`
// to finish, then SIGKILL; checkpoints are synced to their destination and the exit code says
// "preempted" (75) rather than "failed". Writes a failure reason file and summary.json (which
// accumulates every attempt).
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "trainer/exit_codes.h"
#include "trainer/platform_contract.h"

namespace mlbox::trainer {

struct SupervisorOptions {
  std::vector<std::string> command;
  EnvMap env;  // set on top of the inherited environment
  // One process per entry, each with that entry on top of `env` (one process per GPU in
  // native mode: RANK, LOCAL_RANK, ...); empty: one process. Their output lines are prefixed
  // "[rank i]" when there are several; one failing stops the others (SIGTERM, then the grace).
  std::vector<EnvMap> ranks;
  std::chrono::milliseconds grace{25000};          // SIGTERM -> SIGKILL
  std::chrono::milliseconds sync_interval{60000};  // periodic checkpoint sync; 0: only at exit
  // Called after each checkpoint sync (periodic and final) with the reason: uploads the
  // checkpoint dir when it mirrors a bucket (trainer/remote_sync.h). May be empty.
  std::function<void(const char* why)> after_sync;
  // Live metrics (trainer/metrics_publisher.h): called every `metrics_interval` while the
  // job runs and once after it ends. May be empty; interval 0: only at the end.
  std::chrono::milliseconds metrics_interval{30000};
  std::function<void()> publish_metrics;
  // Asked after each live metrics publish: a reason to stop the job now (a sweep trial worse
  // than its peers' median, trainer/peer_stopping.h), or nothing. The job then gets SIGTERM
  // and the grace period like a preemption, but the run ends "stopped" with exit code 0: it
  // did what was asked of it and must not be retried. May be empty.
  std::function<std::optional<std::string>()> stop_check;
  std::string staging_checkpoint_dir;  // what the child writes (its MLBOX_CHECKPOINT_DIR)
  std::string checkpoint_dir;          // durable destination; empty or equal: no sync
  // False on every node but the first: they restore from the destination but never write to
  // it (a shared destination, as Vertex's /gcs mount is, would lose rank 0's checkpoints to
  // another node's empty mirror).
  bool publish_checkpoints = true;
  std::string output_dir;  // failure reason + summary.json; empty: none
  std::string device;      // for summary.json ("cpu", "cuda:0 NVIDIA H100 ...")
  int attempt = 1;
  std::string job_id;
  bool timestamps = true;
  FILE* out = stdout;  // where the child's stdout lines go
  FILE* err = stderr;  // child's stderr lines and the supervisor's own notes
};

struct SupervisorResult {
  int exit_code = 0;         // what mlbox-trainer exits with
  std::string outcome;       // "succeeded", "failed", "preempted", "stopped" (stop_check)
  int child_exit_code = -1;  // exit status, or -1 when killed by a signal
  int child_signal = 0;      // the signal that killed it, 0 if none
  bool killed_after_grace = false;
  double duration_s = 0;
  std::string failure_reason;  // empty on success
  std::string stop_reason;     // outcome "stopped": why
  nlohmann::json to_json() const;
};

// Runs the command to completion. Throws mlbox::Error(kUsage) for an empty command and
// Error(kInternal) when the supervisor itself cannot set up (pipes, signals, fork).
SupervisorResult run_supervised(const SupervisorOptions& options);

// "2026-11-22T14:52:31.123Z"
std::string utc_timestamp_now();

}  // namespace mlbox::trainer
