// A sweep's trial inside the image: the assignment mlbox (or the tuning engine) gave this
// process (sweep/trial_delivery.h) is applied before the training starts — the output
// destinations of an array child moved under its trial, MLBOX_PARAM_* and the appended
// `--name=value` arguments, the native config's keys — and the objective is reported the way
// Vertex AI's tuning service reads it (cloudml-hypertune's file), from metrics.jsonl, so the
// user's code needs no tuning library.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sweep/trial_delivery.h"
#include "trainer/platform_contract.h"

namespace mlbox::trainer {

// Reads the assignment (a plan is fetched through the bucket clients), takes the engine's
// arguments out of `command`, and rewrites `env` (destinations, MLBOX_PARAM_*). Command mode's
// args are appended to `command` here; native mode's config is rewritten by
// apply_trial_native_config.
std::optional<sweep::TrialAssignment> apply_trial_assignment(EnvMap& env,
                                                             std::vector<std::string>& command,
                                                             bool native);

// A copy of the native config JSON with the trial's values, in `scratch_dir`; returns its path.
std::string apply_trial_native_config(const sweep::TrialAssignment& a, const std::string& json_path,
                                      const std::filesystem::path& scratch_dir);

// Where cloudml-hypertune writes: $CLOUD_ML_HP_METRIC_FILE, else /tmp/hypertune/output.metrics.
std::filesystem::path hypertune_metric_file(const EnvMap& env);
// The file's text for the metric's reports in metrics.jsonl (the last 100, as
// cloudml-hypertune keeps them): one JSON object per line, keys sorted, values as strings
// ({"global_step": "3", "timestamp": 1764770000.5, "trial": "2", "val_accuracy": "0.91"}).
std::string hypertune_lines(const std::string& metrics_jsonl, const std::string& metric,
                            const std::string& trial, double now);
// Writes it when the trial runs under Vertex AI's tuning (CLOUD_ML_TRIAL_ID, or platform
// vertex) and the metric has been reported; returns whether it wrote.
bool report_hypertune_metric(const sweep::TrialAssignment& a, const EnvMap& env,
                             const std::filesystem::path& output_dir);

}  // namespace mlbox::trainer
