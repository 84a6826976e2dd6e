#include "manifest/sweep_spec.h"

#include <cctype>

#include <fmt/format.h>

#include "util/error.h"
#include "util/numbers.h"
#include "util/strings.h"

namespace mlbox::manifest {

namespace {

bool is_number(std::string_view s) {
  return parse_decimal_double(s).has_value();
}

bool is_integer(double v) {
  return v == static_cast<double>(static_cast<long long>(v));
}

const char* kind_name(ParamKind k) {
  switch (k) {
    case ParamKind::kIntRange:
      return "int";
    case ParamKind::kFloatRange:
      return "float";
    default:
      return "values";
  }
}

}  // namespace

bool SweepParam::categorical() const {
  if (kind != ParamKind::kValues) return false;
  for (const auto& v : values) {
    if (!is_number(v)) return true;
  }
  return false;
}

nlohmann::json SweepParam::to_json() const {
  nlohmann::json j = {{"name", name}, {"type", kind_name(kind)}, {"deliver", to_string(delivery)}};
  if (kind == ParamKind::kValues) {
    j["values"] = values;
  } else {
    j["min"] = min;
    j["max"] = max;
    j["scale"] = log ? "log" : "linear";
  }
  if (!config_key.empty()) j["key"] = config_key;
  return j;
}

SweepParam SweepParam::from_json(const nlohmann::json& j) {
  SweepParam p;
  p.name = j.at("name").get<std::string>();
  std::string type = j.value("type", "values");
  p.kind = type == "int"     ? ParamKind::kIntRange
           : type == "float" ? ParamKind::kFloatRange
                             : ParamKind::kValues;
  if (p.kind == ParamKind::kValues) {
    p.values = j.value("values", std::vector<std::string>{});
  } else {
    p.min = j.at("min").get<double>();
    p.max = j.at("max").get<double>();
    p.log = j.value("scale", "linear") == "log";
  }
  p.delivery = parse_delivery(j.value("deliver", "default")).value_or(ParamDelivery::kDefault);
  p.config_key = j.value("key", "");
  return p;
}

nlohmann::json SweepSpec::to_json() const {
  nlohmann::json ps = nlohmann::json::array();
  for (const auto& p : params) ps.push_back(p.to_json());
  return {{"parameters", ps},
          {"metric", metric},
          {"goal", maximize ? "max" : "min"},
          {"algorithm", to_string(algorithm)},
          {"max_trials", max_trials},
          {"parallel_trials", parallel_trials},
          {"seed", seed},
          {"grid_points", grid_points},
          {"early_stopping",
           {{"rule", early_stopping.median ? "median" : "none"},
            {"min_trials", early_stopping.min_trials},
            {"after_steps", early_stopping.after_steps}}}};
}

SweepSpec SweepSpec::from_json(const nlohmann::json& j) {
  SweepSpec s;
  for (const auto& p : j.at("parameters")) s.params.push_back(SweepParam::from_json(p));
  s.metric = j.value("metric", "");
  s.maximize = j.value("goal", "max") == "max";
  s.algorithm = parse_algorithm(j.value("algorithm", "grid")).value_or(SweepAlgorithm::kGrid);
  s.max_trials = j.value("max_trials", 0);
  s.parallel_trials = j.value("parallel_trials", 1);
  s.seed = j.value("seed", uint64_t{0});
  s.grid_points = j.value("grid_points", 3);
  if (j.contains("early_stopping")) {
    const auto& e = j["early_stopping"];
    s.early_stopping.median = e.value("rule", "none") == "median";
    s.early_stopping.min_trials = e.value("min_trials", 3);
    s.early_stopping.after_steps = e.value("after_steps", 1);
  }
  return s;
}

const char* to_string(ParamDelivery d) {
  switch (d) {
    case ParamDelivery::kArgs:
      return "args";
    case ParamDelivery::kEnv:
      return "env";
    case ParamDelivery::kConfig:
      return "config";
    default:
      return "default";
  }
}

const char* to_string(SweepAlgorithm a) {
  switch (a) {
    case SweepAlgorithm::kRandom:
      return "random";
    case SweepAlgorithm::kBayesian:
      return "bayesian";
    default:
      return "grid";
  }
}

std::optional<ParamDelivery> parse_delivery(std::string_view s) {
  if (s == "args") return ParamDelivery::kArgs;
  if (s == "env") return ParamDelivery::kEnv;
  if (s == "config") return ParamDelivery::kConfig;
  if (s == "default") return ParamDelivery::kDefault;
  return std::nullopt;
}

std::optional<SweepAlgorithm> parse_algorithm(std::string_view s) {
  if (s == "grid") return SweepAlgorithm::kGrid;
  if (s == "random") return SweepAlgorithm::kRandom;
  if (s == "bayesian") return SweepAlgorithm::kBayesian;
  return std::nullopt;
}

std::optional<bool> parse_goal(std::string_view s) {
  std::string v = to_lower(s);
  if (v == "max" || v == "maximize") return true;
  if (v == "min" || v == "minimize") return false;
  return std::nullopt;
}

std::vector<std::string> param_problems(const SweepParam& p) {
  std::vector<std::string> out;
  if (p.kind == ParamKind::kValues) {
    if (p.values.empty()) out.push_back("the list of values is empty");
    return out;
  }
  if (p.min > p.max) out.push_back(fmt::format("min {} is greater than max {}", p.min, p.max));
  if (p.log && p.min <= 0) {
    out.push_back(fmt::format("a log scale needs min > 0, min is {}", p.min));
  }
  if (p.kind == ParamKind::kIntRange && (!is_integer(p.min) || !is_integer(p.max))) {
    out.push_back("an int range needs integer ends");
  }
  return out;
}

SweepParam parse_param_flag(std::string_view text) {
  auto usage = [&](const std::string& what) {
    return Error(ErrorKind::kUsage, fmt::format("--param '{}': {}", text, what),
                 "write --param NAME=V1,V2,... or --param NAME=MIN:MAX[:log]");
  };
  auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) throw usage("no NAME=");
  SweepParam p;
  p.name = std::string(text.substr(0, eq));
  for (char c : p.name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      throw usage("the name has '" + std::string(1, c) + "' (letters, digits, '_', '-', '.')");
    }
  }
  std::string_view rest = text.substr(eq + 1);
  if (rest.find(':') != std::string_view::npos) {
    auto parts = split(rest, ':');
    if (parts.size() < 2 || parts.size() > 3) throw usage("a range is MIN:MAX or MIN:MAX:log");
    auto lo = parse_decimal_double(parts[0]);
    auto hi = parse_decimal_double(parts[1]);
    if (!lo || !hi) throw usage("a range's ends are numbers");
    if (parts.size() == 3) {
      if (parts[2] != "log" && parts[2] != "linear") throw usage("the scale is log or linear");
      p.log = parts[2] == "log";
    }
    p.min = *lo;
    p.max = *hi;
    bool ints = parse_i64(parts[0]).has_value() && parse_i64(parts[1]).has_value();
    p.kind = ints ? ParamKind::kIntRange : ParamKind::kFloatRange;
  } else {
    p.kind = ParamKind::kValues;
    for (const auto& v : split(rest, ',')) {
      std::string t(trim(v));
      if (!t.empty()) p.values.push_back(t);
    }
  }
  auto problems = param_problems(p);
  if (!problems.empty()) throw usage(join(problems, "; "));
  return p;
}

std::string param_env_name(std::string_view name) {
  std::string out = "MLBOX_PARAM_";
  for (char c : name) {
    out += std::isalnum(static_cast<unsigned char>(c))
               ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
               : '_';
  }
  return out;
}

}  // namespace mlbox::manifest
