#include <doctest/doctest.h>

#include "metrics/metrics_jsonl.h"

using namespace mlbox::metrics;

TEST_CASE("metrics.jsonl: reserved keys, metrics, bad and truncated lines") {
  std::string text =
      "{\"step\": 10, \"epoch\": 0, \"wall_time\": 1700000000.5, \"loss\": 0.5, \"val_loss\": "
      "0.7}\n"
      "\n"
      "not json\n"
      "{\"step\": 20, \"note\": \"text is ignored\"}\n"
      "{\"step\": 20, \"loss\": 0.25}\n"
      "{\"step\": 30, \"lo";  // a writer mid-append
  auto p = parse_metrics_jsonl(text, "out/metrics.jsonl");
  REQUIRE(p.lines.size() == 2);
  CHECK(*p.lines[0].step == 10);
  CHECK(*p.lines[0].epoch == 0);
  CHECK(*p.lines[0].wall_time == doctest::Approx(1700000000.5));
  CHECK(p.lines[0].values.at("loss") == doctest::Approx(0.5));
  CHECK(p.lines[0].values.at("val_loss") == doctest::Approx(0.7));
  CHECK_FALSE(p.lines[1].epoch.has_value());
  CHECK(p.lines[1].values.size() == 1);
  REQUIRE(p.problems.size() == 2);
  CHECK(p.problems[0] == "out/metrics.jsonl:3: not a JSON object, line skipped");
  CHECK(p.problems[1] == "out/metrics.jsonl:4: no numeric metric, line skipped");
}

TEST_CASE("metrics.jsonl lines round-trip through format_metrics_line") {
  MetricsLine m;
  m.step = 7;
  m.values = {{"accuracy", 0.875}, {"loss", 1.5}};
  std::string line = format_metrics_line(m);
  CHECK(line == "{\"step\":7,\"accuracy\":0.875,\"loss\":1.5}\n");
  auto p = parse_metrics_jsonl(line, "x");
  REQUIRE(p.lines.size() == 1);
  CHECK(p.lines[0].values == m.values);
}

TEST_CASE("history.json becomes one metrics.jsonl line per epoch") {
  auto h = nlohmann::json::parse(R"({"history": {"loss": [1.0, 0.5], "val_loss": [1.2, 0.9]},
                                     "epoch": [0, 1], "wall_time": [1700000000.0, 1700000010.0],
                                     "params": {}})");
  auto p = parse_metrics_jsonl(history_to_metrics_jsonl(h), "derived");
  REQUIRE(p.lines.size() == 2);
  CHECK(*p.lines[1].epoch == 1);
  CHECK_FALSE(p.lines[1].step.has_value());
  CHECK(*p.lines[1].wall_time == doctest::Approx(1700000010.0));
  CHECK(p.lines[1].values.at("val_loss") == doctest::Approx(0.9));
  // Older history without wall times still converts; junk does not.
  h.erase("wall_time");
  p = parse_metrics_jsonl(history_to_metrics_jsonl(h), "derived");
  REQUIRE(p.lines.size() == 2);
  CHECK_FALSE(p.lines[0].wall_time.has_value());
  CHECK(history_to_metrics_jsonl(nlohmann::json::parse("[1, 2]")).empty());
  CHECK(history_to_metrics_jsonl(nlohmann::json::parse(R"({"history": {}, "epoch": ["a"]})"))
            .empty());
}
