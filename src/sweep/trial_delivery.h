// How a trial's values reach the training, shared by mlbox (which writes the assignment) and
// mlbox-trainer in the image (which applies it before the training starts):
//   args    `--name=value` appended to the command (command mode)
//   env     MLBOX_PARAM_<NAME>=value
//   config  the native config's key (`optimizer.lr`) set to the value, as a number when it is
//           one
// The assignment reaches the trainer in one of three ways, one per engine:
//   MLBOX_SWEEP_TRIAL   the assignment itself, as JSON (local trials)
//   MLBOX_SWEEP_PLAN    a plan file (path, s3:// or gs:// URI) with every trial; the trial is
//                       AWS_BATCH_JOB_ARRAY_INDEX's (a Batch array job's children)
//   MLBOX_SWEEP_PARAMS  the parameters only; the values are the `--name=value` arguments the
//                       engine appends to the command (Vertex AI's tuning service)
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifest/sweep_spec.h"
#include "sweep/trial_plan.h"

namespace mlbox::sweep {

inline constexpr const char* kTrialEnv = "MLBOX_SWEEP_TRIAL";
inline constexpr const char* kPlanEnv = "MLBOX_SWEEP_PLAN";
inline constexpr const char* kParamsEnv = "MLBOX_SWEEP_PARAMS";
inline constexpr const char* kArrayIndexEnv = "AWS_BATCH_JOB_ARRAY_INDEX";

struct TrialAssignment {
  std::string sweep;
  std::string trial;   // "trial-003"; Vertex: its trial id
  std::string metric;  // the sweep's objective, reported for the engine (hypertune)
  std::vector<manifest::SweepParam> params;  // deliveries resolved (never kDefault)
  TrialValues values;
  std::string output;  // where this trial's outputs go (<output>/<sweep>/<trial>); may be empty
  // A plan's trials stop themselves (the median rule against their peers' metrics in the
  // bucket, trainer/peer_stopping.h): the goal, the rule, every trial's id and the sweep's
  // output root. Empty `peers`: the engine stops trials itself (local scheduler, Vertex).
  bool maximize = true;
  manifest::EarlyStopping early_stopping;
  std::vector<std::string> peers;
  std::string sweep_output;

  nlohmann::json to_json() const;
  static TrialAssignment from_json(const nlohmann::json& j);
};

// The plan a Batch array job's children read: {sweep, metric, goal, early_stopping, params,
// output, trials: [{id, values}]}; child i runs trials[i] with output <output>/<trial id>.
nlohmann::json plan_json(const std::string& sweep, const std::string& metric,
                         const std::vector<manifest::SweepParam>& params, const std::string& output,
                         const std::vector<TrialValues>& trials, bool maximize = true,
                         const manifest::EarlyStopping& early_stopping = {});

// The assignment of this process, from the environment (and, for a plan, `read_uri` to fetch
// it; for the engine's arguments, `command`, whose trailing `--name=value` arguments of the
// sweep's parameters are taken out). Empty when the process is no sweep's trial. Throws
// Error(kConfig) for a malformed assignment or an index past the plan.
std::optional<TrialAssignment> assignment_from_env(
    const std::map<std::string, std::string>& env,
    const std::function<std::string(const std::string&)>& read_uri,
    std::vector<std::string>& command);

// The command with the args-delivered values appended (`--name=value`).
void append_trial_args(const TrialAssignment& a, std::vector<std::string>& command);
// MLBOX_PARAM_<NAME>=value for the env-delivered values (and MLBOX_SWEEP_ID, MLBOX_TRIAL_ID).
void add_trial_env(const TrialAssignment& a, std::map<std::string, std::string>& env);
// The config-delivered values set in a native config (numbers as numbers). Throws
// Error(kConfig) when a dotted key's parent is not an object.
void apply_trial_config(const TrialAssignment& a, nlohmann::json& config);

// A value as JSON: an integer, a number, true/false, else the string.
nlohmann::json typed_value(const std::string& text);

}  // namespace mlbox::sweep
