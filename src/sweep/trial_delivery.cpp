#include "sweep/trial_delivery.h"

#include <fmt/format.h>

#include "util/error.h"
#include "util/numbers.h"
#include "util/strings.h"

namespace mlbox::sweep {

using manifest::ParamDelivery;
using manifest::SweepParam;

namespace {

std::vector<SweepParam> params_of(const nlohmann::json& j) {
  std::vector<SweepParam> out;
  for (const auto& p : j.value("params", nlohmann::json::array()))
    out.push_back(SweepParam::from_json(p));
  return out;
}

nlohmann::json params_json(const std::vector<SweepParam>& params) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : params) out.push_back(p.to_json());
  return out;
}

nlohmann::json parse_or_throw(const std::string& text, const std::string& what) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw Error(ErrorKind::kConfig, what + " is not a JSON object",
                "it is written by mlbox sweep; submit the sweep again");
  }
  return j;
}

}  // namespace

nlohmann::json TrialAssignment::to_json() const {
  return {{"sweep", sweep},   {"trial", trial},
          {"metric", metric}, {"params", params_json(params)},
          {"values", values}, {"output", output}};
}

TrialAssignment TrialAssignment::from_json(const nlohmann::json& j) {
  TrialAssignment a;
  a.sweep = j.value("sweep", "");
  a.trial = j.value("trial", "");
  a.metric = j.value("metric", "");
  a.params = params_of(j);
  a.values = j.value("values", TrialValues{});
  a.output = j.value("output", "");
  return a;
}

nlohmann::json plan_json(const std::string& sweep, const std::string& metric,
                         const std::vector<SweepParam>& params, const std::string& output,
                         const std::vector<TrialValues>& trials, bool maximize,
                         const manifest::EarlyStopping& early_stopping) {
  nlohmann::json ts = nlohmann::json::array();
  for (size_t i = 0; i < trials.size(); ++i)
    ts.push_back({{"id", trial_id(static_cast<int>(i) + 1)}, {"values", trials[i]}});
  return {{"sweep", sweep},
          {"metric", metric},
          {"goal", maximize ? "max" : "min"},
          {"early_stopping",
           {{"rule", early_stopping.median ? "median" : "none"},
            {"min_trials", early_stopping.min_trials},
            {"after_steps", early_stopping.after_steps}}},
          {"params", params_json(params)},
          {"output", output},
          {"trials", ts}};
}

std::optional<TrialAssignment> assignment_from_env(
    const std::map<std::string, std::string>& env,
    const std::function<std::string(const std::string&)>& read_uri,
    std::vector<std::string>& command) {
  auto get = [&](const char* k) -> const std::string* {
    auto it = env.find(k);
    return it == env.end() || it->second.empty() ? nullptr : &it->second;
  };
  if (const auto* t = get(kTrialEnv))
    return TrialAssignment::from_json(parse_or_throw(*t, kTrialEnv));
  if (const auto* plan_uri = get(kPlanEnv)) {
    const auto* index_text = get(kArrayIndexEnv);
    auto index = index_text ? parse_u64(*index_text) : std::nullopt;
    if (!index) {
      throw Error(ErrorKind::kConfig,
                  fmt::format("{} is set but {} is '{}'", kPlanEnv, kArrayIndexEnv,
                              index_text ? *index_text : ""),
                  "a sweep plan is read by the children of an AWS Batch array job");
    }
    auto plan = parse_or_throw(read_uri(*plan_uri), "the sweep plan " + *plan_uri);
    const auto& trials = plan.value("trials", nlohmann::json::array());
    if (*index >= trials.size()) {
      throw Error(ErrorKind::kConfig,
                  fmt::format("{} {} is past the plan's {} trials ({})", kArrayIndexEnv, *index,
                              trials.size(), *plan_uri));
    }
    TrialAssignment a;
    a.sweep = plan.value("sweep", "");
    a.metric = plan.value("metric", "");
    a.params = params_of(plan);
    a.trial = trials[*index].value("id", trial_id(static_cast<int>(*index) + 1));
    a.values = trials[*index].value("values", TrialValues{});
    std::string base = plan.value("output", "");
    if (!base.empty()) a.output = base + "/" + a.trial;
    a.maximize = plan.value("goal", "max") != "min";
    const auto es = plan.value("early_stopping", nlohmann::json::object());
    a.early_stopping.median = es.value("rule", "none") == "median";
    a.early_stopping.min_trials = es.value("min_trials", a.early_stopping.min_trials);
    a.early_stopping.after_steps = es.value("after_steps", a.early_stopping.after_steps);
    if (a.early_stopping.median && !base.empty()) {
      for (const auto& t : trials) a.peers.push_back(t.value("id", ""));
      a.sweep_output = base;
    }
    return a;
  }
  if (const auto* p = get(kParamsEnv)) {
    auto j = parse_or_throw(*p, kParamsEnv);
    TrialAssignment a;
    a.sweep = j.value("sweep", "");
    a.metric = j.value("metric", "");
    a.params = params_of(j);
    a.trial = j.value("trial", "");
    // The engine appends `--name=value` (or `--name value`) for each of its parameters.
    std::vector<std::string> kept;
    for (size_t i = 0; i < command.size(); ++i) {
      const std::string& arg = command[i];
      bool taken = false;
      for (const auto& param : a.params) {
        std::string flag = "--" + param.name;
        if (starts_with(arg, flag + "=")) {
          a.values[param.name] = arg.substr(flag.size() + 1);
          taken = true;
        } else if (arg == flag && i + 1 < command.size()) {
          a.values[param.name] = command[++i];
          taken = true;
        }
        if (taken) break;
      }
      if (!taken) kept.push_back(arg);
    }
    command = std::move(kept);
    return a;
  }
  return std::nullopt;
}

void append_trial_args(const TrialAssignment& a, std::vector<std::string>& command) {
  for (const auto& p : a.params) {
    auto it = a.values.find(p.name);
    if (p.delivery == ParamDelivery::kArgs && it != a.values.end())
      command.push_back("--" + p.name + "=" + it->second);
  }
}

void add_trial_env(const TrialAssignment& a, std::map<std::string, std::string>& env) {
  if (!a.sweep.empty()) env["MLBOX_SWEEP_ID"] = a.sweep;
  if (!a.trial.empty()) env["MLBOX_TRIAL_ID"] = a.trial;
  for (const auto& p : a.params) {
    auto it = a.values.find(p.name);
    if (p.delivery == ParamDelivery::kEnv && it != a.values.end())
      env[manifest::param_env_name(p.name)] = it->second;
  }
}

nlohmann::json typed_value(const std::string& text) {
  if (auto i = parse_i64(text)) return *i;
  if (auto d = parse_decimal_double(text)) return *d;
  if (text == "true") return true;
  if (text == "false") return false;
  return text;
}

void apply_trial_config(const TrialAssignment& a, nlohmann::json& config) {
  for (const auto& p : a.params) {
    auto it = a.values.find(p.name);
    if (p.delivery != ParamDelivery::kConfig || it == a.values.end()) continue;
    const std::string key = p.config_key.empty() ? p.name : p.config_key;
    nlohmann::json* node = &config;
    auto parts = split(key, '.');
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      if (!node->is_object()) break;
      node = &(*node)[parts[i]];
    }
    if (!node->is_object()) {
      throw Error(
          ErrorKind::kConfig,
          fmt::format("parameter '{}': the native config's '{}' is not a map", p.name, key));
    }
    (*node)[parts.back()] = typed_value(it->second);
  }
}

}  // namespace mlbox::sweep
