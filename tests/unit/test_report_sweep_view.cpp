#include <doctest/doctest.h>

#include <cmath>
#include <regex>

#include "report/report_render.h"
#include "report/sweep_view.h"
#include "util/fs.h"

using namespace mlbox;

namespace {

sweep::SweepRecord sample_sweep() {
  sweep::SweepRecord r;
  r.id = "sweep-20261203-abcdef";
  r.backend = "aws-batch";
  r.spec.metric = "val_accuracy";
  r.spec.maximize = true;
  manifest::SweepParam lr;
  lr.name = "lr";
  lr.kind = manifest::ParamKind::kFloatRange;
  lr.min = 0.001;
  lr.max = 0.1;
  lr.log = true;
  manifest::SweepParam bs;
  bs.name = "batch_size";
  bs.values = {"16", "32"};
  r.spec.params = {lr, bs};
  auto trial = [](int i, std::string lr, std::string bs, std::optional<double> m,
                  std::string state) {
    sweep::TrialRecord t;
    t.id = sweep::trial_id(i);
    t.index = i;
    t.values = {{"lr", lr}, {"batch_size", bs}};
    t.metric = m;
    t.state = state;
    return t;
  };
  r.trials = {trial(1, "0.001", "16", 0.61, "SUCCEEDED"), trial(2, "0.01", "16", 0.93, "SUCCEEDED"),
              trial(3, "0.1", "32", 0.70, "STOPPED"),
              trial(4, "0.01", "32", std::nullopt, "FAILED")};
  return r;
}

// (attribute -> value) of every element whose class list holds `cls`.
std::vector<std::map<std::string, std::string>> elements(const std::string& svg,
                                                         const std::string& cls) {
  std::vector<std::map<std::string, std::string>> out;
  std::regex tag("<(circle|path)([^>]*)>");
  std::regex attr("([a-z-]+)=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tag); it != std::sregex_iterator();
       ++it) {
    std::string attrs = (*it)[2];
    std::map<std::string, std::string> m;
    for (auto a = std::sregex_iterator(attrs.begin(), attrs.end(), attr);
         a != std::sregex_iterator(); ++a) {
      m[(*a)[1]] = (*a)[2];
    }
    std::string classes = " " + m["class"] + " ";
    if (classes.find(" " + cls + " ") != std::string::npos) out.push_back(m);
  }
  return out;
}

}  // namespace

TEST_CASE("sweep view: ranked trials, the best marked, axes from the spec") {
  auto v = report::sweep_view(sample_sweep());
  REQUIRE(v.trials.size() == 4);
  CHECK(v.trials[0].trial == "trial-002");
  CHECK(v.trials[0].best);
  CHECK(v.trials[3].trial == "trial-004");  // no metric: last
  CHECK(v.params[0].scale == report::AxisScale::kLog);
  CHECK(v.params[1].scale == report::AxisScale::kCategories);
  CHECK(v.note == "no metric 'val_accuracy'; the trials reported no metrics at all");
}

TEST_CASE("parameter chart: a point per trial with the metric, an x per trial without") {
  auto v = report::sweep_view(sample_sweep());
  std::string svg = report::render_param_chart(v, v.params[0]);
  auto pts = elements(svg, "trial-pt");
  auto miss = elements(svg, "trial-miss");
  REQUIRE(pts.size() == 3);
  REQUIRE(miss.size() == 1);
  CHECK(miss[0]["data-trial"] == "trial-004");
  CHECK(miss[0]["data-state"] == "FAILED");
  std::map<std::string, std::map<std::string, std::string>> by;
  for (auto& p : pts) by[p["data-trial"]] = p;
  CHECK(by["trial-002"]["class"] == "trial-pt best");
  CHECK(by["trial-002"]["data-y"] == "0.93");
  CHECK(by["trial-003"]["data-state"] == "STOPPED");
  // Log axis: 0.001, 0.01, 0.1 evenly spaced; higher metric higher up (smaller cy).
  double x1 = std::stod(by["trial-001"]["cx"]), x2 = std::stod(by["trial-002"]["cx"]),
         x3 = std::stod(by["trial-003"]["cx"]);
  CHECK(x2 - x1 == doctest::Approx(x3 - x2).epsilon(0.01));
  CHECK(x1 < x2);
  CHECK(std::stod(by["trial-002"]["cy"]) < std::stod(by["trial-003"]["cy"]));
  CHECK(std::stod(by["trial-003"]["cy"]) < std::stod(by["trial-001"]["cy"]));
  // The failed trial sits at its lr on the x axis too.
  CHECK(std::stod(miss[0]["data-cx"]) == doctest::Approx(x2).epsilon(0.001));
}

TEST_CASE("parameter chart: a list is one band per value, in the list's order") {
  auto v = report::sweep_view(sample_sweep());
  std::string svg = report::render_param_chart(v, v.params[1]);
  CHECK(svg.find("data-scale=\"categories\"") != std::string::npos);
  auto pts = elements(svg, "trial-pt");
  REQUIRE(pts.size() == 3);
  std::map<std::string, double> cx;
  for (auto& p : pts) cx[p["data-trial"]] = std::stod(p["cx"]);
  CHECK(cx["trial-001"] == doctest::Approx(cx["trial-002"]));  // both batch_size 16
  CHECK(cx["trial-001"] < cx["trial-003"]);
}

TEST_CASE("sweep report: HTML section and Markdown table") {
  auto v = report::sweep_view(sample_sweep());
  std::string html = report::render_html({}, "2026-12-03T00:00:00Z", &v);
  CHECK(html.find("Sweep report: sweep-20261203-abcdef (4 trials)") != std::string::npos);
  CHECK(html.find("data-param=\"lr\"") != std::string::npos);
  CHECK(html.find("data-param=\"batch_size\"") != std::string::npos);
  std::string md = report::render_markdown({}, &v);
  CHECK(md.find("| | trial | lr | batch_size | val_accuracy | state |") != std::string::npos);
  CHECK(md.find("| **best** | trial-002 | 0.01 | 16 | 0.93 | SUCCEEDED |") != std::string::npos);
  CHECK(md.find("|  | trial-004 | 0.01 | 32 | no metric | FAILED |") != std::string::npos);
}

TEST_CASE("a cloud trial's card: the sweep's facts, one attempt from the trial's times") {
  auto r = sample_sweep();
  r.trials[1].started_at = "2026-12-03T10:00:00Z";
  r.trials[1].ended_at = "2026-12-03T10:02:00Z";
  r.trials[1].cost = 0.05;
  auto card = report::load_trial_card(r, r.trials[1], "/nonexistent-outputs", 0);
  CHECK(card.job_id == "sweep-20261203-abcdef/trial-002");
  CHECK(card.state == "SUCCEEDED");
  REQUIRE(card.attempts.size() == 1);
  CHECK(card.attempts[0].outcome == "succeeded");
  CHECK(card.duration_s == 120);
  REQUIRE(card.cost_usd);
  CHECK(*card.cost_usd == doctest::Approx(0.05));
}

TEST_CASE("a cloud trial's card: attempts and their times from the trainer's summary.json") {
  fs::TempDir tmp;
  fs::write_file_atomic(tmp.path() / "summary.json", R"({"outcome": "stopped", "attempts": [
      {"attempt": 1, "outcome": "stopped", "exit_code": 0, "duration_s": 12.4,
       "finished_at": "2026-12-03T10:00:20.500Z"}]})");
  auto r = sample_sweep();
  r.trials[2].started_at = "2026-12-03T09:59:00Z";
  auto card = report::load_trial_card(r, r.trials[2], tmp.path(), 0);
  REQUIRE(card.attempts.size() == 1);
  CHECK(card.attempts[0].outcome == "stopped");
  CHECK(card.attempts[0].ended_at == "2026-12-03T10:00:20Z");
  CHECK(card.attempts[0].started_at == "2026-12-03T10:00:08Z");
  CHECK(card.state == "STOPPED");
}
