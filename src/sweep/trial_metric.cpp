#include "sweep/trial_metric.h"

#include <algorithm>

#include <fmt/format.h>

#include "metrics/metrics_jsonl.h"
#include "util/fs.h"

namespace mlbox::sweep {

TrialMetric metric_from_texts(const std::string& metrics_jsonl, const std::string& history_json,
                              const std::string& metric) {
  std::string text = metrics_jsonl;
  if (text.empty() && !history_json.empty()) {
    auto h = nlohmann::json::parse(history_json, nullptr, false);
    if (!h.is_discarded()) text = metrics::history_to_metrics_jsonl(h);
  }
  TrialMetric out;
  auto parsed = metrics::parse_metrics_jsonl(text, metrics::kMetricsFile);
  long long index = 0;
  for (const auto& line : parsed.lines) {
    for (const auto& [name, v] : line.values) out.names_seen.insert(name);
    auto it = line.values.find(metric);
    if (it == line.values.end()) continue;
    long long x = line.step ? *line.step : line.epoch ? *line.epoch : index;
    out.curve.points.emplace_back(x, it->second);
    out.value = it->second;
    ++index;
  }
  return out;
}

TrialMetric read_trial_metric(const std::filesystem::path& output_dir, const std::string& metric) {
  std::string jsonl, history;
  fs::read_file_if_exists(output_dir / metrics::kMetricsFile, jsonl);
  fs::read_file_if_exists(output_dir / "history.json", history);
  return metric_from_texts(jsonl, history, metric);
}

namespace {

// The mean of a curve's values reported at or before `step`; empty when none.
std::optional<double> running_average(const MetricCurve& c, long long step) {
  double sum = 0;
  int n = 0;
  for (const auto& [x, v] : c.points) {
    if (x > step) break;
    sum += v;
    ++n;
  }
  if (n == 0) return std::nullopt;
  return sum / n;
}

}  // namespace

std::optional<std::string> median_rule_stops(const MetricCurve& trial,
                                             const std::vector<MetricCurve>& completed,
                                             bool maximize, const manifest::EarlyStopping& rule) {
  if (!rule.median || static_cast<int>(completed.size()) < rule.min_trials) return std::nullopt;
  if (static_cast<int>(trial.points.size()) < rule.after_steps || trial.points.empty())
    return std::nullopt;
  const long long step = trial.points.back().first;
  double best = trial.points.front().second;
  for (const auto& [x, v] : trial.points) best = maximize ? std::max(best, v) : std::min(best, v);
  std::vector<double> averages;
  for (const auto& c : completed) {
    if (auto a = running_average(c, step)) averages.push_back(*a);
  }
  if (static_cast<int>(averages.size()) < rule.min_trials) return std::nullopt;
  std::sort(averages.begin(), averages.end());
  size_t n = averages.size();
  double median = n % 2 ? averages[n / 2] : (averages[n / 2 - 1] + averages[n / 2]) / 2;
  bool worse = maximize ? best < median : best > median;
  if (!worse) return std::nullopt;
  return fmt::format("best {:.6g} at step {} {} median {:.6g} of {} completed trials", best, step,
                     maximize ? "<" : ">", median, n);
}

}  // namespace mlbox::sweep
