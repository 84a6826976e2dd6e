// A trial's objective from what its training wrote: metrics.jsonl (both modes write or derive
// it), else history.json. The objective is the metric's last reported value, as the clouds'
// tuning services take it; the curve feeds the median stopping rule.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "manifest/sweep_spec.h"

namespace mlbox::sweep {

struct MetricCurve {
  std::vector<std::pair<long long, double>> points;  // (step, else epoch, else line index; value)
};

struct TrialMetric {
  std::optional<double> value;       // the last report; empty: "no metric"
  MetricCurve curve;                 // every report of the metric
  std::set<std::string> names_seen;  // every metric the trial reported
};

// From the text of metrics.jsonl and history.json (either may be empty).
TrialMetric metric_from_texts(const std::string& metrics_jsonl, const std::string& history_json,
                              const std::string& metric);
// From a trial's output dir on this machine.
TrialMetric read_trial_metric(const std::filesystem::path& output_dir, const std::string& metric);

// The median stopping rule: a running trial whose best value so far is worse than the median
// of the completed trials' running averages up to the same step stops. Needs at least
// `rule.min_trials` completed trials and `rule.after_steps` reports of the trial. Returns why
// it stops ("best 0.41 at step 3 < median 0.72 of 3 completed trials"), or nothing.
std::optional<std::string> median_rule_stops(const MetricCurve& trial,
                                             const std::vector<MetricCurve>& completed,
                                             bool maximize, const manifest::EarlyStopping& rule);

}  // namespace mlbox::sweep
