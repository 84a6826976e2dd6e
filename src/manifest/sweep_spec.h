// A hyperparameter sweep: what `sweep:` in mlbox.yaml and `mlbox sweep --param ...` describe.
// Parameters are lists of values (numbers or categories) or int / float ranges on a linear or
// log scale; each reaches the training as an appended `--name=value` argument, an environment
// variable MLBOX_PARAM_<NAME>, or a key of the native config. The checks here are shared by
// the manifest reader (which adds mlbox.yaml:L:C) and the command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlbox::manifest {

enum class ParamKind { kValues, kIntRange, kFloatRange };
enum class ParamDelivery { kDefault, kArgs, kEnv, kConfig };
enum class SweepAlgorithm { kGrid, kRandom, kBayesian };

struct SweepParam {
  std::string name;
  ParamKind kind = ParamKind::kValues;
  std::vector<std::string> values;  // kValues, as written ("0.01", "adam")
  double min = 0;
  double max = 0;
  bool log = false;
  ParamDelivery delivery = ParamDelivery::kDefault;
  std::string config_key;  // kConfig: dotted key of the native config; empty = found by name

  bool categorical() const;  // kValues with a value that is not a number
  nlohmann::json to_json() const;
  static SweepParam from_json(const nlohmann::json& j);
};

struct EarlyStopping {
  bool median = false;  // the median stopping rule
  int min_trials = 3;   // completed trials before the rule may stop one
  int after_steps = 1;  // reports a trial makes before it may be stopped
};

struct SweepSpec {
  std::vector<SweepParam> params;
  std::string metric;
  bool maximize = true;
  SweepAlgorithm algorithm = SweepAlgorithm::kGrid;
  int max_trials = 0;  // 0: the grid's size, 10 for random / Bayesian
  int parallel_trials = 1;
  uint64_t seed = 0;
  int grid_points = 3;  // points of a float range on a grid
  EarlyStopping early_stopping;

  nlohmann::json to_json() const;
  static SweepSpec from_json(const nlohmann::json& j);
};

const char* to_string(ParamDelivery d);   // "args", "env", "config", "default"
const char* to_string(SweepAlgorithm a);  // "grid", "random", "bayesian"
std::optional<ParamDelivery> parse_delivery(std::string_view s);
std::optional<SweepAlgorithm> parse_algorithm(std::string_view s);
// "max" / "maximize" -> true, "min" / "minimize" -> false.
std::optional<bool> parse_goal(std::string_view s);

// What is wrong with a parameter ("min 0.1 is greater than max 0.01"), empty when nothing.
// `what` names it in the message ("sweep.parameters.lr").
std::vector<std::string> param_problems(const SweepParam& p);

// `--param NAME=V1,V2,...` or `--param NAME=MIN:MAX[:log]` (a range is int when both ends
// are integers, float otherwise). Throws Error(kUsage) naming the flag and what to write.
SweepParam parse_param_flag(std::string_view text);

// MLBOX_PARAM_<NAME>: upper case, every character not a letter or digit as '_'.
std::string param_env_name(std::string_view name);

}  // namespace mlbox::manifest
