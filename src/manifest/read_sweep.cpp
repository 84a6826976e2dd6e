// sweep: a hyperparameter search over the training (docs/sweeps.md).
#include <fmt/format.h>

#include "manifest/manifest_reader.h"
#include "util/numbers.h"

namespace mlbox::manifest {

namespace {

const std::vector<std::string> kSweepKeys = {
    "metric", "goal",        "algorithm", "max_trials",     "parallel_trials",
    "seed",   "grid_points", "deliver",   "early_stopping", "parameters"};
const std::vector<std::string> kParamKeys = {"values", "min",     "max", "scale",
                                             "type",   "deliver", "key"};

}  // namespace

void ManifestReader::read_sweep(const Field& section) {
  if (!is_map(section, kSweepKeys)) return;
  SweepSpec spec;
  ParamDelivery deliver = ParamDelivery::kDefault;  // the section's default for its parameters
  const Field* params = nullptr;
  auto all = fields(section.value, section.path, kSweepKeys);
  for (const auto& f : all) {
    if (f.key == "parameters") {
      params = &f;
    } else if (f.key == "metric") {
      if (auto s = string_of(f, "the name of a metric the training reports")) spec.metric = *s;
    } else if (f.key == "goal") {
      auto s = string_of(f, "max or min");
      if (!s) continue;
      if (auto g = parse_goal(*s))
        spec.maximize = *g;
      else
        add(f, "sweep.goal is " + quote_value(*s), "max or min");
    } else if (f.key == "algorithm") {
      auto s = string_of(f, "grid, random or bayesian");
      if (!s) continue;
      if (auto a = parse_algorithm(*s))
        spec.algorithm = *a;
      else
        add(f, "sweep.algorithm is " + quote_value(*s), "grid, random or bayesian");
    } else if (f.key == "max_trials") {
      if (auto v = int_of(f, 1)) spec.max_trials = static_cast<int>(*v);
    } else if (f.key == "parallel_trials") {
      if (auto v = int_of(f, 1)) spec.parallel_trials = static_cast<int>(*v);
    } else if (f.key == "seed") {
      if (auto v = int_of(f, 0)) spec.seed = static_cast<uint64_t>(*v);
    } else if (f.key == "grid_points") {
      if (auto v = int_of(f, 2)) spec.grid_points = static_cast<int>(*v);
    } else if (f.key == "deliver") {
      auto s = string_of(f, "args, env or config");
      if (!s) continue;
      auto d = parse_delivery(*s);
      if (d && *d != ParamDelivery::kDefault)
        deliver = *d;
      else
        add(f, "sweep.deliver is " + quote_value(*s), "args, env or config");
    } else if (f.key == "early_stopping") {
      read_early_stopping(f, spec);
    }
  }
  if (params) {
    read_sweep_parameters(*params, spec);
  } else {
    add(section.key_mark, "sweep has no 'parameters'", "a map of parameter name -> values",
        "add e.g. 'parameters: {lr: {min: 0.0001, max: 0.1, scale: log}}'");
  }
  for (auto& p : spec.params) {
    if (p.delivery == ParamDelivery::kDefault) p.delivery = deliver;
  }
  m_.sweep = spec;
}

void ManifestReader::read_early_stopping(const Field& section, SweepSpec& spec) {
  static const std::vector<std::string> keys = {"rule", "min_trials", "after_steps"};
  if (!is_map(section, keys)) return;
  for (const auto& f : fields(section.value, section.path, keys)) {
    if (f.key == "rule") {
      auto s = string_of(f, "median or none");
      if (!s) continue;
      if (*s == "median" || *s == "none")
        spec.early_stopping.median = *s == "median";
      else
        add(f, f.path + " is " + quote_value(*s), "median or none");
    } else if (f.key == "min_trials") {
      if (auto v = int_of(f, 1)) spec.early_stopping.min_trials = static_cast<int>(*v);
    } else if (f.key == "after_steps") {
      if (auto v = int_of(f, 1)) spec.early_stopping.after_steps = static_cast<int>(*v);
    }
  }
}

void ManifestReader::read_sweep_parameters(const Field& section, SweepSpec& spec) {
  if (!section.value.IsMap() || section.value.size() == 0) {
    add(section, "sweep.parameters is " + describe(section.value),
        "a map of parameter name -> a list of values or {min, max[, scale]}");
    return;
  }
  for (const auto& f : fields(section.value, section.path, {})) read_sweep_param(f, spec);
}

void ManifestReader::read_sweep_param(const Field& f, SweepSpec& spec) {
  SweepParam p;
  p.name = f.key;
  auto read_values = [&](const Field& vf) {
    if (!vf.value.IsSequence()) {
      add(vf, vf.path + " is " + describe(vf.value), "a list of values");
      return false;
    }
    if (vf.value.size() == 0) {
      add(vf, vf.path + " is an empty list", "at least one value",
          "list the values to try, e.g. [0.01, 0.1]");
      return false;
    }
    for (const auto& item : vf.value) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        add(to_mark(item.Mark()), vf.path + " has " + describe(item), "numbers or strings");
        return false;
      }
      p.values.push_back(item.Scalar());
    }
    return true;
  };
  if (f.value.IsSequence()) {  // shorthand: name: [v1, v2]
    if (read_values(f)) spec.params.push_back(p);
    return;
  }
  if (!f.value.IsMap()) {
    add(f, f.path + " is " + describe(f.value),
        "a list of values, or a map with values or min/max (scale: log|linear)");
    return;
  }
  bool have_values = false, have_min = false, have_max = false, ok = true;
  std::string type;
  Mark min_mark = f.value_mark, scale_mark = f.value_mark;
  auto number = [&](const Field& nf) -> std::optional<double> {
    if (nf.value.IsScalar()) {
      if (auto d = parse_decimal_double(nf.value.Scalar())) return d;
    }
    add(nf, nf.path + " is " + describe(nf.value), "a number");
    ok = false;
    return std::nullopt;
  };
  for (const auto& sf : fields(f.value, f.path, kParamKeys)) {
    if (sf.key == "values") {
      have_values = true;
      ok = read_values(sf) && ok;
    } else if (sf.key == "min") {
      if (auto d = number(sf)) {
        p.min = *d;
        have_min = true;
        min_mark = sf.value_mark;
        if (!parse_i64(sf.value.Scalar())) type = type.empty() ? "float" : type;
      }
    } else if (sf.key == "max") {
      if (auto d = number(sf)) {
        p.max = *d;
        have_max = true;
        if (!parse_i64(sf.value.Scalar())) type = type.empty() ? "float" : type;
      }
    } else if (sf.key == "scale") {
      auto s = string_of(sf, "log or linear");
      if (s && (*s == "log" || *s == "linear")) {
        p.log = *s == "log";
        scale_mark = sf.value_mark;
      } else if (s) {
        add(sf, sf.path + " is " + quote_value(*s), "log or linear");
        ok = false;
      }
    } else if (sf.key == "type") {
      auto s = string_of(sf, "int, float or categorical");
      if (s && (*s == "int" || *s == "float" || *s == "categorical")) {
        type = *s;
      } else if (s) {
        add(sf, sf.path + " is " + quote_value(*s), "int, float or categorical");
        ok = false;
      }
    } else if (sf.key == "deliver") {
      auto s = string_of(sf, "args, env or config");
      auto d = s ? parse_delivery(*s) : std::nullopt;
      if (d && *d != ParamDelivery::kDefault) {
        p.delivery = *d;
      } else if (s) {
        add(sf, sf.path + " is " + quote_value(*s), "args, env or config");
        ok = false;
      }
    } else if (sf.key == "key") {
      if (auto s = string_of(sf, "a dotted key of train.native, e.g. optimizer.lr"))
        p.config_key = *s;
    }
  }
  if (!ok) return;
  if (have_values && (have_min || have_max)) {
    add(f, f.path + " has both values and min/max", "either a list of values or a range");
    return;
  }
  if (!have_values) {
    if (!have_min || !have_max) {
      add(f, f.path + " has no " + std::string(have_min ? "max" : "min"),
          "values: [...], or both min and max");
      return;
    }
    p.kind = type == "float" ? ParamKind::kFloatRange : ParamKind::kIntRange;
    if (p.min > p.max) {
      add(min_mark, fmt::format("{}.min {} is greater than max {}", f.path, p.min, p.max),
          "min <= max", "swap them");
      return;
    }
    if (p.log && p.min <= 0) {
      add(scale_mark, fmt::format("{} has a log scale with min {}", f.path, p.min),
          "min > 0 on a log scale", "raise min above 0 or use scale: linear");
      return;
    }
  } else {
    p.kind = ParamKind::kValues;
  }
  spec.params.push_back(p);
}

}  // namespace mlbox::manifest
