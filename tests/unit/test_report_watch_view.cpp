#include <doctest/doctest.h>

#include "report/watch_view.h"

using namespace mlbox::report;

TEST_CASE("sparkline: lowest to highest block, last points only") {
  std::vector<MetricPoint> pts = {{0, 4}, {1, 3}, {2, 2}, {3, 1}};
  CHECK(sparkline(pts, 10) == "\u2588\u2586\u2583\u2581");
  CHECK(sparkline(pts, 2) == "\u2588\u2581");                // the last two: 2 -> top, 1 -> bottom
  CHECK(sparkline({{0, 5}, {1, 5}}, 10) == "\u2584\u2584");  // flat: mid-height
  CHECK(sparkline({}, 10).empty());
}

TEST_CASE("watch: one JSON object per update; a screen with the latest values") {
  RunCard c;
  c.job_id = "local-20261203-aaaaaa";
  c.state = "RUNNING";
  c.backend = "local";
  c.price_note = "ran on this machine: not billed";
  c.duration_s = 75;
  c.x_axis = "epoch";
  c.attempts.push_back({});
  c.attempts.back().number = 2;
  c.metrics["loss"] = {{0, 1.5}, {1, 0.75}};
  auto j = watch_json(c);
  CHECK(j["id"] == "local-20261203-aaaaaa");
  CHECK(j["state"] == "RUNNING");
  CHECK(j["attempt"] == 2);
  CHECK(j["elapsed_s"] == 75);
  CHECK(j["cost_usd"].is_null());
  CHECK(j["metrics"]["loss"]["last"] == 0.75);
  CHECK(j["metrics"]["loss"]["x"] == 1);
  CHECK(j["metrics"]["loss"]["points"] == 2);
  std::string screen = watch_screen(c);
  CHECK(j["stage"] == "running attempt 2");
  CHECK(j["attempts"].size() == 1);
  CHECK(j["attempts"][0]["outcome"] == "");
  CHECK(screen.find("local-20261203-aaaaaa  running attempt 2  elapsed 1m15s") == 0);
  CHECK(screen.find("attempts: 2 running\n") != std::string::npos);
  CHECK(screen.find("loss        0.75  epoch 1  \u2588\u2581") != std::string::npos);
  c.metrics.clear();
  CHECK(watch_screen(c).find("no metrics yet") != std::string::npos);
}

TEST_CASE("watch: the stage follows the state and the attempts") {
  RunCard c;
  c.state = "SUBMITTED";
  CHECK(job_stage(c) == "submitted");
  c.state = "QUEUED";
  CHECK(job_stage(c) == "queued");
  c.state = "STARTING";
  CHECK(job_stage(c) == "pulling the image");
  c.attempts.push_back({});
  c.attempts.back().number = 1;
  CHECK(job_stage(c) == "pulling the image for attempt 1");
  c.state = "RUNNING";
  CHECK(job_stage(c) == "running attempt 1");
  c.attempts.back().outcome = "preempted";
  c.attempts.back().exit_code = 75;
  c.state = "RETRYING";
  CHECK(job_stage(c) == "attempt 1 preempted, queued to resume");
  c.state = "PREEMPTED";
  CHECK(job_stage(c) == "attempt 1 preempted, resuming");
  c.attempts.push_back({});
  c.attempts.back().number = 2;
  c.attempts.back().outcome = "succeeded";
  c.attempts.back().exit_code = 0;
  c.state = "SUCCEEDED";
  CHECK(job_stage(c) == "succeeded");
  CHECK(attempts_line(c) == "1 preempted (exit 75), 2 succeeded (exit 0)");
  auto j = watch_json(c);
  CHECK(j["attempts"][0]["exit_code"] == 75);
  CHECK(j["stage"] == "succeeded");
}
