// What `status`, `logs`, `cancel` and `submit -f` do with a job, whatever its backend:
// refresh the store from the backend, stream log lines across attempts (following until
// the job ends), cancel. Everything here speaks to a JobBackend only.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/events.h"
#include "jobs/job_backend.h"
#include "jobs/job_store.h"

namespace mlbox::jobs {

// Asks the backend and writes its answer (state and every attempt) into the store in one
// transaction; returns the updated record. A job already seen terminal is not asked again.
JobRecord refresh_job(JobStore& store, JobBackend& backend, const JobRecord& job);

// Every log line the job has written so far, attempt order.
std::vector<LogLine> read_all_logs(JobBackend& backend, const JobRecord& job);

// Why a job failed, for `status` and `logs`: the platform's reason and the last lines the
// job printed (its stderr is merged into its log). Empty for a job that has not failed.
struct FailureSummary {
  std::string reason;
  std::vector<std::string> last_lines;
  bool empty() const { return reason.empty() && last_lines.empty(); }
};
FailureSummary failure_summary(JobBackend& backend, const JobRecord& job, size_t lines = 10);

// The job `id_or_prefix` names; the newest job when it is empty (Error(kUsage) when there is
// none yet).
JobRecord resolve_job_or_latest(const JobStore& store, const std::string& id_or_prefix);

// The line `mlbox logs` prints before an attempt's first line.
std::string attempt_marker(int attempt);

// Passes the job's log lines to `emit` (each attempt introduced by attempt_marker(N), a line
// with a timestamp prefixed by it); with follow, refreshes and polls every
// backend.poll_interval_seconds() until the job is terminal and its logs are drained, and
// reports state changes through `observer`. Returns the last record seen.
JobRecord stream_logs(JobStore& store, JobBackend& backend, const JobRecord& job, bool follow,
                      const std::function<void(const std::string&)>& emit, Observer& observer);

// Stops the job: Error(kUsage) when it has already ended; otherwise the backend stops it
// and, unless the request is a preemption, the store records CANCELLED. Returns the record.
JobRecord cancel_job(JobStore& store, JobBackend& backend, const JobRecord& job,
                     const CancelRequest& request);

}  // namespace mlbox::jobs
