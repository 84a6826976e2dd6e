// A place jobs run: this machine (cloud/local), Vertex AI, AWS Batch. `mlbox
// submit/status/logs/cancel/fetch/jobs` speak to backends only through this (and
// jobs/job_control.h, which drives it). Backends never print: progress and warnings go to
// the Observer they were made with.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "jobs/job_spec.h"
#include "jobs/job_store.h"

namespace mlbox::jobs {

struct SubmitResult {
  std::string remote_id;  // "projects/p/locations/r/customJobs/123", the Batch jobId
  std::string console_url;
  nlohmann::json details = nlohmann::json::object();  // stored in JobRecord::details
};

// What the cloud says now about a job.
struct RemoteStatus {
  JobState state = JobState::kQueued;
  std::vector<Attempt> attempts;  // the cloud's attempts, oldest first
  std::string message;            // status reason, error message
  // The backend keeps the job store up to date itself (the local runner records attempts as
  // they happen): the caller must not write this answer back over a record that may have
  // moved on since it was read.
  bool recorded = false;
};

struct CancelRequest {
  // A rehearsal of a spot reclaim: the running attempt is stopped (it checkpoints) and the
  // next one resumes. Only backends that run attempts themselves can do it.
  bool preempt = false;
  int grace_seconds = 30;  // SIGTERM, then SIGKILL after this long
};

struct LogLine {
  std::string timestamp;  // RFC 3339 UTC
  int attempt = 1;
  std::string text;
};

class JobBackend {
 public:
  virtual ~JobBackend() = default;
  virtual std::string name() const = 0;  // JobRecord::backend: "local", "vertex", "aws-batch"

  // The exact requests submit() would send, in order, secrets redacted:
  // [{"method","url","body"}] — `mlbox submit --dry-run` prints this and sends nothing.
  virtual nlohmann::json plan_requests(const JobSpec& spec) = 0;
  virtual SubmitResult submit(const JobSpec& spec) = 0;
  virtual RemoteStatus refresh(const JobRecord& job) = 0;
  // Log lines after `cursor` (opaque, backend-defined; empty = from the start) are appended
  // to `out`; returns the cursor to pass next time.
  virtual std::string read_logs(const JobRecord& job, const std::string& cursor,
                                std::vector<LogLine>& out) = 0;
  // Throws Error(kUsage) for a request the backend cannot honour (--preempt on a cloud).
  virtual void cancel(const JobRecord& job, const CancelRequest& request) = 0;
  // Copies the job's outputs (model/, history.json, tensorboard/; checkpoints/ when asked)
  // from its output URI into `dir`. Returns the files written.
  virtual std::vector<std::filesystem::path> fetch(const JobRecord& job,
                                                   const std::filesystem::path& dir,
                                                   bool checkpoints) = 0;
  // Only what a run card's metrics come from (jobs/object_store.h is_metrics_file), for
  // `mlbox watch` at every update; a backend whose outputs are not in a bucket copies them
  // all but checkpoints (fetch).
  virtual std::vector<std::filesystem::path> fetch_metrics(const JobRecord& job,
                                                           const std::filesystem::path& dir) {
    return fetch(job, dir, false);
  }
  // Why a failed job failed, in the platform's words: the cloud's status message, or the
  // trainer's `failure` file for a job whose outputs are on this machine. Empty when unknown.
  virtual std::string failure_reason(const JobRecord& job);
  // Seconds between polls when following a job: $MLBOX_POLL_INTERVAL, else 5.
  virtual double poll_interval_seconds() const;
  // Whether refresh() asks nothing over the network (the job's state is on this machine):
  // listings refresh such jobs, and leave cloud jobs to `mlbox status`.
  virtual bool refresh_is_local() const { return false; }
};

// $MLBOX_POLL_INTERVAL (tests use 0.2), else 5.
double default_poll_interval_seconds();

// For backends whose cloud preempts by itself: Error(kUsage) when request.preempt.
void refuse_preempt(const CancelRequest& request);

}  // namespace mlbox::jobs
