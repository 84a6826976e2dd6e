#include "cloud/gcp/vertex_tuning_job.h"

#include <algorithm>

#include <fmt/format.h>

#include "cloud/gcp/vertex_custom_job.h"
#include "sweep/trial_delivery.h"
#include "sweep/trial_plan.h"
#include "util/numbers.h"

namespace mlbox::cloud::gcp {

using manifest::ParamKind;

namespace {

std::string value_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) {
    double d = v.get<double>();
    if (d == static_cast<double>(static_cast<long long>(d)) && std::abs(d) < 1e15)
      return std::to_string(static_cast<long long>(d));
    return fmt::format("{}", d);  // the shortest text that reads back as the service's value
  }
  return v.dump();
}

}  // namespace

nlohmann::json study_spec_json(const manifest::SweepSpec& spec) {
  nlohmann::json params = nlohmann::json::array();
  const bool grid = spec.algorithm == manifest::SweepAlgorithm::kGrid;
  for (const auto& p : spec.params) {
    nlohmann::json j = {{"parameterId", p.name}};
    const char* scale = p.log ? "UNIT_LOG_SCALE" : "UNIT_LINEAR_SCALE";
    if (p.kind == ParamKind::kValues && p.categorical()) {
      j["categoricalValueSpec"] = {{"values", p.values}};
    } else if (p.kind == ParamKind::kValues || (grid && p.kind == ParamKind::kFloatRange)) {
      std::vector<std::string> texts =
          p.kind == ParamKind::kValues ? p.values : sweep::grid_values(p, spec.grid_points);
      std::vector<double> values;
      for (const auto& t : texts) values.push_back(*parse_decimal_double(t));
      std::sort(values.begin(), values.end());  // the service wants them increasing
      values.erase(std::unique(values.begin(), values.end()), values.end());
      j["discreteValueSpec"] = {{"values", values}};
      j["scaleType"] = "UNIT_LINEAR_SCALE";
    } else if (p.kind == ParamKind::kIntRange) {
      // int64 is a string in protobuf JSON.
      j["integerValueSpec"] = {{"minValue", std::to_string(static_cast<long long>(p.min))},
                               {"maxValue", std::to_string(static_cast<long long>(p.max))}};
      j["scaleType"] = scale;
    } else {
      j["doubleValueSpec"] = {{"minValue", p.min}, {"maxValue", p.max}};
      j["scaleType"] = scale;
    }
    params.push_back(j);
  }
  nlohmann::json s = {
      {"metrics", {{{"metricId", spec.metric}, {"goal", spec.maximize ? "MAXIMIZE" : "MINIMIZE"}}}},
      {"parameters", params}};
  if (spec.algorithm == manifest::SweepAlgorithm::kGrid) s["algorithm"] = "GRID_SEARCH";
  if (spec.algorithm == manifest::SweepAlgorithm::kRandom) s["algorithm"] = "RANDOM_SEARCH";
  if (spec.early_stopping.median) s["medianAutomatedStoppingSpec"] = nlohmann::json::object();
  return s;
}

nlohmann::json tuning_job_body(const sweep::SweepRecord& record, const jobs::JobSpec& spec,
                               const catalog::MachineCatalog& catalog) {
  jobs::JobSpec trial = spec;
  sweep::TrialAssignment a;
  a.sweep = record.id;
  a.metric = record.spec.metric;
  a.params = record.spec.params;
  nlohmann::json params = a.to_json();
  params.erase("values");
  params.erase("trial");
  params.erase("output");
  trial.env[sweep::kParamsEnv] = params.dump();
  nlohmann::json custom = custom_job_body(trial, catalog);
  const int trials = static_cast<int>(record.trials.size());
  nlohmann::json body = {{"displayName", custom.value("displayName", record.id)},
                         {"studySpec", study_spec_json(record.spec)},
                         {"maxTrialCount", trials},
                         {"parallelTrialCount", std::min(trials, record.spec.parallel_trials)},
                         {"maxFailedTrialCount", trials},
                         {"trialJobSpec", custom["jobSpec"]}};
  nlohmann::json labels = custom.value("labels", nlohmann::json::object());
  labels["mlbox-sweep"] = record.id;
  body["labels"] = labels;
  return body;
}

void apply_vertex_trial(const nlohmann::json& trial, const std::string& metric,
                        sweep::TrialRecord& out) {
  out.job_id = trial.value("id", out.job_id);
  for (const auto& p : trial.value("parameters", nlohmann::json::array())) {
    out.values[p.value("parameterId", "")] = value_text(p.value("value", nlohmann::json()));
  }
  std::string state = trial.value("state", "");
  if (state == "REQUESTED")
    out.state = "QUEUED";
  else if (state == "ACTIVE" || state == "STOPPING")
    out.state = "RUNNING";
  else if (state == "SUCCEEDED")
    out.state = "SUCCEEDED";
  else if (state == "INFEASIBLE")
    out.state = "FAILED";
  out.started_at = trial.value("startTime", out.started_at);
  out.ended_at = trial.value("endTime", out.ended_at);
  if (state == "INFEASIBLE") out.message = trial.value("infeasibleReason", "infeasible");
  out.metric.reset();
  const auto fm = trial.value("finalMeasurement", nlohmann::json::object());
  for (const auto& m : fm.value("metrics", nlohmann::json::array())) {
    if (m.value("metricId", "") == metric && m.contains("value") && m["value"].is_number())
      out.metric = m["value"].get<double>();
  }
}

}  // namespace mlbox::cloud::gcp
