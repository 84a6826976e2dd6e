#include <doctest/doctest.h>

#include "sweep/trial_metric.h"
#include "sweep/trial_ranking.h"

using namespace mlbox;
using namespace mlbox::sweep;

namespace {

MetricCurve curve(std::vector<double> values) {
  MetricCurve c;
  for (size_t i = 0; i < values.size(); ++i)
    c.points.emplace_back(static_cast<long long>(i + 1), values[i]);
  return c;
}

manifest::EarlyStopping median_rule(int min_trials = 3) {
  manifest::EarlyStopping r;
  r.median = true;
  r.min_trials = min_trials;
  r.after_steps = 2;
  return r;
}

}  // namespace

TEST_CASE("the metric is the last report; metrics.jsonl first, else history.json") {
  TrialMetric m = metric_from_texts(
      "{\"step\": 1, \"loss\": 0.9, \"val_accuracy\": 0.5}\n"
      "{\"step\": 2, \"loss\": 0.5}\n"
      "{\"step\": 3, \"loss\": 0.4, \"val_accuracy\": 0.7}\n",
      "", "val_accuracy");
  REQUIRE(m.value);
  CHECK(*m.value == doctest::Approx(0.7));
  CHECK(m.curve.points.size() == 2);
  CHECK(m.curve.points[1].first == 3);
  CHECK(m.names_seen == std::set<std::string>{"loss", "val_accuracy"});

  TrialMetric h = metric_from_texts(
      "", R"({"epoch": [0, 1], "history": {"loss": [1.0, 0.5], "val_accuracy": [0.6, 0.8]}})",
      "val_accuracy");
  REQUIRE(h.value);
  CHECK(*h.value == doctest::Approx(0.8));

  TrialMetric none = metric_from_texts("{\"step\": 1, \"loss\": 0.9}\n", "", "val_acc");
  CHECK_FALSE(none.value);
  CHECK(none.names_seen == std::set<std::string>{"loss"});
}

TEST_CASE("median rule: stops a trial worse than the median of completed running averages") {
  std::vector<MetricCurve> done = {curve({0.5, 0.7, 0.8}), curve({0.6, 0.8, 0.9}),
                                   curve({0.4, 0.6, 0.7})};
  // Running averages at step 2: 0.6, 0.7, 0.5 -> median 0.6.
  auto stop = median_rule_stops(curve({0.2, 0.3}), done, true, median_rule());
  REQUIRE(stop);
  CHECK(stop->find("median 0.6") != std::string::npos);
  CHECK_FALSE(median_rule_stops(curve({0.2, 0.65}), done, true, median_rule()));
  // Minimising: a loss above the median stops.
  CHECK(median_rule_stops(curve({0.9, 0.8}), done, false, median_rule()));
  CHECK_FALSE(median_rule_stops(curve({0.3, 0.2}), done, false, median_rule()));
  // Not before min_trials completed, nor before after_steps reports, nor when off.
  CHECK_FALSE(median_rule_stops(curve({0.2, 0.3}), done, true, median_rule(4)));
  CHECK_FALSE(median_rule_stops(curve({0.2}), done, true, median_rule()));
  auto off = median_rule();
  off.median = false;
  CHECK_FALSE(median_rule_stops(curve({0.2, 0.3}), done, true, off));
}

TEST_CASE("ranking: best first by the goal, no metric last, the best a succeeded trial") {
  SweepRecord r;
  r.id = "sweep-x";
  r.spec.metric = "val_accuracy";
  r.spec.maximize = true;
  auto add = [&](const char* id, std::optional<double> m, const char* state) {
    TrialRecord t;
    t.id = id;
    t.metric = m;
    t.state = state;
    if (!m) t.metric_names = {"loss", "accuracy"};
    r.trials.push_back(t);
  };
  add("trial-001", 0.8, "SUCCEEDED");
  add("trial-002", std::nullopt, "SUCCEEDED");
  add("trial-003", 0.95, "FAILED");
  add("trial-004", 0.9, "SUCCEEDED");
  auto order = ranked_trials(r);
  CHECK(order == std::vector<size_t>{2, 3, 0, 1});
  REQUIRE(best_trial(r));
  CHECK(*best_trial(r) == 3);  // trial-003 failed: its metric does not make it the best
  r.spec.maximize = false;
  CHECK(*best_trial(r) == 0);
  CHECK(missing_metric_note(r) == "no metric 'val_accuracy'; the trials reported: accuracy, loss");
  auto j = sweep_summary_json(r);
  CHECK(j["best"]["id"] == "trial-001");
  CHECK(j["trials"].size() == 4);
  CHECK(j["note"].get<std::string>().find("accuracy, loss") != std::string::npos);
}
