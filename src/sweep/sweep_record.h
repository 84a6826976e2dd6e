// What mlbox knows of a sweep: its spec, the engine it runs on, and each trial (its values,
// its job or the engine's trial id, state, metric). One JSON file per sweep at
// $MLBOX_HOME/sweeps/<id>.json, replaced whole by rename, so a reader never sees half of one;
// a local sweep's scheduler is its only writer while it runs.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifest/sweep_spec.h"
#include "sweep/trial_plan.h"

namespace mlbox::sweep {

struct TrialRecord {
  std::string id;                 // "trial-001"
  int index = 0;                  // 1-based; the Batch array index is index - 1
  TrialValues values;             // empty until the engine chose them (Vertex)
  std::string job_id;             // local: the job in the job store; else the engine's trial id
  std::string state = "PENDING";  // PENDING, then the job states; STOPPED by early stopping
  std::optional<double> metric;
  std::set<std::string> metric_names;  // every metric the trial reported
  std::string started_at;
  std::string ended_at;
  std::string output;          // where its outputs are (a folder, s3://, gs://)
  std::string message;         // why it failed or stopped
  std::optional<double> cost;  // USD, from the catalog's price and its duration

  nlohmann::json to_json() const;
  static TrialRecord from_json(const nlohmann::json& j);
  double duration_seconds() const;  // 0 until started; to now while running
};

struct SweepRecord {
  std::string id;  // "sweep-20261203-a1b2c3"
  std::string name;
  std::string backend;  // "local", "aws-batch", "vertex"
  manifest::SweepSpec spec;
  std::string output;             // <output>/<sweep id>
  std::string remote_id;          // the array job / HyperparameterTuningJob
  std::string state = "RUNNING";  // RUNNING, SUCCEEDED, FAILED, CANCELLED
  std::string created_at;
  std::string updated_at;
  nlohmann::json details = nlohmann::json::object();  // engine-specific
  std::vector<TrialRecord> trials;

  nlohmann::json to_json() const;
  static SweepRecord from_json(const nlohmann::json& j);
  TrialRecord& trial(const std::string& id);  // Error(kUsage) with the ids when unknown
  bool done() const;                          // every trial in a terminal state
};

bool is_terminal_trial_state(const std::string& state);
// RUNNING while a trial is not terminal; then SUCCEEDED when one succeeded, CANCELLED when
// every trial was cancelled, else FAILED.
std::string overall_state(const SweepRecord& record);

std::string new_sweep_id();

class SweepStore {
 public:
  explicit SweepStore(std::filesystem::path dir = default_dir());
  static std::filesystem::path default_dir();  // $MLBOX_HOME/sweeps

  void save(SweepRecord& record);  // sets updated_at
  std::optional<SweepRecord> find(const std::string& id) const;
  // The one sweep whose id is or starts with `id_or_prefix`; Error(kUsage) otherwise.
  SweepRecord resolve(const std::string& id_or_prefix) const;
  std::vector<SweepRecord> list() const;  // newest first
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

}  // namespace mlbox::sweep
