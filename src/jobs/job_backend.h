// A place jobs run: Vertex AI, AWS Batch (and the local runner, which keeps its own
// commands). `mlbox submit/status/logs/cancel/fetch` speak to backends only through this.
// Backends never print: progress and warnings go to the Observer they were made with.
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
};

struct LogLine {
  std::string timestamp;  // RFC 3339 UTC
  int attempt = 1;
  std::string text;
};

class JobBackend {
 public:
  virtual ~JobBackend() = default;
  virtual std::string name() const = 0;  // stored as JobRecord::backend: "vertex", "aws-batch"

  // The exact requests submit() would send, in order, secrets redacted:
  // [{"method","url","body"}] — `mlbox submit --dry-run` prints this and sends nothing.
  virtual nlohmann::json plan_requests(const JobSpec& spec) = 0;
  virtual SubmitResult submit(const JobSpec& spec) = 0;
  virtual RemoteStatus refresh(const JobRecord& job) = 0;
  // Log lines after `cursor` (opaque, backend-defined; empty = from the start) are appended
  // to `out`; returns the cursor to pass next time.
  virtual std::string read_logs(const JobRecord& job, const std::string& cursor,
                                std::vector<LogLine>& out) = 0;
  virtual void cancel(const JobRecord& job) = 0;
  // Copies the job's outputs (model/, history.json, tensorboard/; checkpoints/ when asked)
  // from its output URI into `dir`. Returns the files written.
  virtual std::vector<std::filesystem::path> fetch(const JobRecord& job,
                                                   const std::filesystem::path& dir,
                                                   bool checkpoints) = 0;
};

}  // namespace mlbox::jobs
