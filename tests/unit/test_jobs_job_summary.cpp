#include <doctest/doctest.h>

#include "jobs/job_summary.h"

using namespace mlbox::jobs;

TEST_CASE("job summary: duration, its format, machine and cost") {
  JobRecord r;
  r.state = JobState::kRunning;
  CHECK(duration_seconds(r, 0) == -1);
  r.attempts.push_back({1, "2026-11-22T18:00:00Z", "", std::nullopt, ""});
  CHECK(duration_seconds(r, 1795370400 + 90) == 90);  // 2026-11-22T18:01:30Z
  r.attempts.back().ended_at = "2026-11-22T19:05:00Z";
  CHECK(duration_seconds(r, 0) == 3900);
  CHECK(format_duration(-1) == "-");
  CHECK(format_duration(42) == "42s");
  CHECK(format_duration(187) == "3m07s");
  CHECK(format_duration(3900) == "1h05m");

  CHECK(machine_of(r) == "this machine");
  CHECK_FALSE(cost_of(r, 0).has_value());
  r.backend = "aws-batch";
  r.details["spec"] = {{"machine", "g4dn.xlarge"}, {"gpu_type", "T4"},
                       {"gpu_count", 1},           {"spot", true},
                       {"region", "us-east-1"},    {"nodes", 1}};
  CHECK(machine_of(r) == "g4dn.xlarge T4x1 spot");
  auto cost = cost_of(r, 0);
  REQUIRE(cost.has_value());
  CHECK(*cost == doctest::Approx(0.21 * 3900 / 3600));
}
