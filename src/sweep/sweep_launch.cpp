#include "sweep/sweep_launch.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "sweep/trial_delivery.h"
#include "util/error.h"
#include "util/strings.h"

namespace mlbox::sweep {

using manifest::ParamDelivery;
using manifest::SweepSpec;

SweepSpec merge_sweep_spec(const std::optional<SweepSpec>& from_manifest, const SweepOverrides& f) {
  SweepSpec s = from_manifest.value_or(SweepSpec{});
  if (!f.params.empty()) {
    std::optional<ParamDelivery> deliver;
    if (!f.deliver.empty()) {
      deliver = manifest::parse_delivery(f.deliver);
      if (!deliver || *deliver == ParamDelivery::kDefault)
        throw Error(ErrorKind::kUsage, "--deliver '" + f.deliver + "'", "args, env or config");
    }
    s.params.clear();
    for (const auto& text : f.params) {
      manifest::SweepParam p = manifest::parse_param_flag(text);
      for (const auto& q : s.params) {
        if (q.name == p.name)
          throw Error(ErrorKind::kUsage, "--param " + p.name + " is given twice", "give it once");
      }
      if (deliver) p.delivery = *deliver;
      s.params.push_back(std::move(p));
    }
  }
  if (!f.metric.empty()) s.metric = f.metric;
  if (!f.goal.empty()) {
    auto g = manifest::parse_goal(f.goal);
    if (!g) throw Error(ErrorKind::kUsage, "--goal '" + f.goal + "'", "max or min");
    s.maximize = *g;
  }
  if (!f.algorithm.empty()) {
    auto a = manifest::parse_algorithm(f.algorithm);
    if (!a)
      throw Error(ErrorKind::kUsage, "--algorithm '" + f.algorithm + "'",
                  "grid, random or bayesian");
    s.algorithm = *a;
  }
  if (f.max_trials) {
    if (*f.max_trials < 1) throw Error(ErrorKind::kUsage, "--max-trials must be at least 1");
    s.max_trials = *f.max_trials;
  }
  if (f.parallel) {
    if (*f.parallel < 1) throw Error(ErrorKind::kUsage, "--parallel must be at least 1");
    s.parallel_trials = *f.parallel;
  }
  if (f.seed) s.seed = *f.seed;
  if (!f.early_stopping.empty()) {
    if (f.early_stopping != "median" && f.early_stopping != "none")
      throw Error(ErrorKind::kUsage, "--early-stopping '" + f.early_stopping + "'",
                  "median or none");
    s.early_stopping.median = f.early_stopping == "median";
  }
  if (s.params.empty()) {
    throw Error(ErrorKind::kConfig, "the sweep has no parameters",
                "give --param NAME=V1,V2 or NAME=MIN:MAX[:log], or add sweep.parameters to "
                "mlbox.yaml");
  }
  if (s.metric.empty()) {
    throw Error(ErrorKind::kConfig, "the sweep has no metric to optimise",
                "give --metric NAME (a metric the training reports, e.g. val_accuracy), or set "
                "sweep.metric in mlbox.yaml");
  }
  return s;
}

SweepRecord plan_sweep(const SweepSpec& spec, const std::string& name, const std::string& backend,
                       const std::string& output_root, bool engine_plans) {
  SweepRecord r;
  r.id = new_sweep_id();
  r.name = name;
  r.backend = backend;
  r.spec = spec;
  std::string root = output_root;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  r.output = root.empty() ? r.id : root + "/" + r.id;
  if (engine_plans) {
    for (int i = 1; i <= trial_count(spec); ++i) {
      TrialRecord t;
      t.index = i;
      t.id = trial_id(i);
      r.trials.push_back(std::move(t));
    }
    return r;
  }
  auto planned = plan_trials(spec);
  for (size_t i = 0; i < planned.size(); ++i) {
    TrialRecord t;
    t.index = static_cast<int>(i) + 1;
    t.id = trial_id(t.index);
    t.values = planned[i];
    t.output = r.output + "/" + t.id;
    r.trials.push_back(std::move(t));
  }
  return r;
}

int local_slots(int parallel, unsigned cpus, int gpus, bool uses_gpu) {
  int n = std::max(1, parallel);
  if (cpus > 0) n = std::min(n, static_cast<int>(cpus));
  if (uses_gpu && gpus > 0) n = std::min(n, gpus);
  return n;
}

int gpus_here() {
  int n = 0;
  std::error_code ec;
  while (std::filesystem::exists("/dev/nvidia" + std::to_string(n), ec)) ++n;
  return n;
}

jobs::JobSpec local_trial_spec(const SweepRecord& sweep, const TrialRecord& trial,
                               const LocalTrialImage& image, int slot) {
  jobs::JobSpec spec;
  spec.name = sweep.name + "-" + trial.id;
  spec.image_ref = "oci:" + image.store + ":" + image.tag;
  spec.command = image.command;
  spec.output_uri = trial.output.empty() ? sweep.output + "/" + trial.id : trial.output;
  for (const auto& kv : image.env) {
    auto eq = kv.find('=');
    if (eq != std::string::npos) spec.env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  TrialAssignment a;
  a.sweep = sweep.id;
  a.trial = trial.id;
  a.metric = sweep.spec.metric;
  a.params = sweep.spec.params;
  a.values = trial.values;
  spec.env[kTrialEnv] = a.to_json().dump();
  if (image.uses_gpu) spec.env["CUDA_VISIBLE_DEVICES"] = std::to_string(slot);
  spec.labels["mlbox-sweep"] = sweep.id;
  spec.labels["mlbox-trial"] = trial.id;
  return spec;
}

}  // namespace mlbox::sweep
