// A run card: what one job was and did, gathered from its record, its image and its outputs
// (summary.json, history.json / metrics.jsonl, TensorBoard event files, the output tree), for
// `mlbox report` to render as self-contained HTML or as Markdown.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "jobs/job_store.h"

namespace mlbox::report {

struct MetricPoint {
  double x = 0;  // step, or epoch when the job gave no steps
  double y = 0;
};

struct AttemptRow {
  int number = 0;
  std::string started_at, ended_at;
  std::string outcome;  // "succeeded", "failed", "preempted", "cancelled"; "" while running
  std::optional<int> exit_code;
  int child_signal = 0;
  bool killed_after_grace = false;
  double duration_s = -1;
};

struct OutputFile {
  std::string path;  // relative to the outputs
  uintmax_t size = 0;
};

struct RunCard {
  std::string job_id, name, backend, state;
  std::string created_at;
  std::string image_ref, image_digest, lock_digest, base_image;
  std::string machine;  // "n1-standard-8 T4x1 spot" / "this machine"
  std::string device;   // the trainer's GPU truth (summary.json "device")
  std::vector<std::string> command;
  nlohmann::json native_params;                          // history.json "params"
  std::vector<std::pair<std::string, std::string>> env;  // secret values redacted
  std::vector<AttemptRow> attempts;
  int64_t duration_s = -1;         // first start to last end
  int64_t billed_s = -1;           // the attempts' run time summed (what a cloud bills)
  std::optional<double> cost_usd;  // catalog price x billed time
  std::string price_note;          // "spot price" / "on-demand price" / "local: not billed"
  std::vector<OutputFile> outputs;
  std::string x_axis = "step";                              // or "epoch"
  std::map<std::string, std::vector<MetricPoint>> metrics;  // name -> points, x ascending
  std::string metrics_source;         // "metrics.jsonl", "history.json", "TensorBoard", ""
  std::vector<std::string> problems;  // unreadable files, skipped records
};

// `outputs`: a local copy of the job's output tree (the job's own dir for a local job).
RunCard load_run_card(const jobs::JobRecord& job, const std::filesystem::path& outputs,
                      int64_t now);

// Metric "val_loss" belongs to the chart of "loss"; "loss" to its own.
std::string chart_of(const std::string& metric);

}  // namespace mlbox::report
