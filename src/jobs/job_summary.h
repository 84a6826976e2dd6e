// What `mlbox jobs` shows of a record beyond its fields: how long it ran, on what, and what
// it cost at the catalog's list price.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "jobs/job_store.h"

namespace mlbox::jobs {

// Wall time of the job's attempts (to `now` while one runs); -1 when it has not started.
int64_t duration_seconds(const JobRecord& job, int64_t now);
// "42s", "3m07s", "2h05m"; "-" for a negative duration.
std::string format_duration(int64_t seconds);
// "n1-standard-8 T4x1 spot"; a job without a JobSpec ran on "this machine".
std::string machine_of(const JobRecord& job);
// The catalog's price for the duration (spot price when spot); nullopt without a spec,
// a start, or a price.
std::optional<double> cost_of(const JobRecord& job, int64_t now);

}  // namespace mlbox::jobs
