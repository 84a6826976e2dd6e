#include "jobs/job_summary.h"

#include <fmt/format.h>

#include "jobs/spec_builder.h"
#include "util/utc_time.h"

namespace mlbox::jobs {

int64_t duration_seconds(const JobRecord& r, int64_t now) {
  if (r.attempts.empty()) return -1;
  int64_t start = parse_rfc3339(r.attempts.front().started_at);
  const auto& last = r.attempts.back();
  int64_t end = last.ended_at.empty() ? (is_terminal(r.state) ? parse_rfc3339(r.updated_at) : now)
                                      : parse_rfc3339(last.ended_at);
  if (start < 0 || end < start) return -1;
  return end - start;
}

std::string format_duration(int64_t s) {
  if (s < 0) return "-";
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

std::string machine_of(const JobRecord& r) {
  if (!r.details.contains("spec")) return "this machine";
  const auto& spec = r.details["spec"];
  std::string m = spec.value("machine", "");
  std::string gpu = spec.value("gpu_type", "");
  int count = spec.value("gpu_count", 0);
  if (m.empty()) m = "default";
  if (!gpu.empty()) m += fmt::format(" {}x{}", gpu, count);
  if (spec.value("spot", false)) m += " spot";
  return m;
}

std::optional<double> cost_of(const JobRecord& r, int64_t now) {
  if (!r.details.contains("spec")) return std::nullopt;
  int64_t s = duration_seconds(r, now);
  if (s < 0) return std::nullopt;
  return estimated_cost(JobSpec::from_json(r.details["spec"]), r.backend,
                        static_cast<double>(s) / 3600.0);
}

}  // namespace mlbox::jobs
