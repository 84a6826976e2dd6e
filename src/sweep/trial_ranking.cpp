#include "sweep/trial_ranking.h"

#include <algorithm>

#include "util/strings.h"

namespace mlbox::sweep {

std::vector<size_t> ranked_trials(const SweepRecord& record) {
  std::vector<size_t> order(record.trials.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  const bool maximize = record.spec.maximize;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto& ma = record.trials[a].metric;
    const auto& mb = record.trials[b].metric;
    if (ma.has_value() != mb.has_value()) return ma.has_value();
    if (!ma) return false;
    return maximize ? *ma > *mb : *ma < *mb;
  });
  return order;
}

std::optional<size_t> best_trial(const SweepRecord& record) {
  for (size_t i : ranked_trials(record)) {
    const auto& t = record.trials[i];
    if (!t.metric) return std::nullopt;
    if (t.state == "SUCCEEDED") return i;
  }
  return std::nullopt;
}

std::string missing_metric_note(const SweepRecord& record) {
  std::set<std::string> seen;
  bool missing = false;
  for (const auto& t : record.trials) {
    seen.insert(t.metric_names.begin(), t.metric_names.end());
    if (is_terminal_trial_state(t.state) && t.state != "CANCELLED" && !t.metric) missing = true;
  }
  if (!missing) return {};
  std::string note = "no metric '" + record.spec.metric + "'";
  if (seen.empty()) return note + "; the trials reported no metrics at all";
  return note +
         "; the trials reported: " + join(std::vector<std::string>(seen.begin(), seen.end()), ", ");
}

nlohmann::json sweep_summary_json(const SweepRecord& record) {
  nlohmann::json trials = nlohmann::json::array();
  for (size_t i : ranked_trials(record)) trials.push_back(record.trials[i].to_json());
  auto best = best_trial(record);
  nlohmann::json j = {{"id", record.id},
                      {"name", record.name},
                      {"backend", record.backend},
                      {"remote_id", record.remote_id},
                      {"state", record.state},
                      {"metric", record.spec.metric},
                      {"goal", record.spec.maximize ? "max" : "min"},
                      {"algorithm", manifest::to_string(record.spec.algorithm)},
                      {"output", record.output},
                      {"trials", trials},
                      {"best", best ? record.trials[*best].to_json() : nlohmann::json()}};
  std::string note = missing_metric_note(record);
  if (!note.empty()) j["note"] = note;
  return j;
}

}  // namespace mlbox::sweep
