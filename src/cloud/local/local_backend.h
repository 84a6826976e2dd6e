// The local backend as a jobs::JobBackend: jobs run on this machine by LocalRunner
// (local_runner.h), recorded in the job store as they go. Besides the interface, `mlbox run`
// uses prepare/start_detached/run_attached, which need the local options (store, data dir,
// runc or not) a JobSpec does not carry.
//
// Logs: <job dir>/logs/attempt-N.log; the cursor is "N:OFFSET" (the attempt being read and
// the bytes of it already returned as lines). Cancel: SIGTERM to the running attempt,
// SIGKILL after the grace period; a preemption lets the runner start the next attempt.
// Refresh asks no one: a job whose runner process is gone is marked FAILED.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cloud/local/local_runner.h"
#include "core/events.h"
#include "jobs/job_backend.h"

namespace mlbox::cloud::local {

class LocalBackend : public jobs::JobBackend {
 public:
  // Connections to the job store at `store_path` are opened per call, so that none is open
  // across the fork of start_detached.
  explicit LocalBackend(Observer& observer,
                        std::filesystem::path store_path = jobs::JobStore::default_path());

  std::string name() const override { return "local"; }
  nlohmann::json plan_requests(const jobs::JobSpec& spec) override;  // Error(kUsage)
  // Runs spec.image_ref ("oci:STORE:TAG") detached; the record is written here (remote_id is
  // the job id).
  jobs::SubmitResult submit(const jobs::JobSpec& spec) override;
  jobs::RemoteStatus refresh(const jobs::JobRecord& job) override;
  std::string read_logs(const jobs::JobRecord& job, const std::string& cursor,
                        std::vector<jobs::LogLine>& out) override;
  void cancel(const jobs::JobRecord& job, const jobs::CancelRequest& request) override;
  // Copies the output dir; checkpoints/ only when asked for, as for a cloud job.
  std::vector<std::filesystem::path> fetch(const jobs::JobRecord& job,
                                           const std::filesystem::path& dir,
                                           bool checkpoints) override;
  // The trainer's `failure` file in the job's output, else the runner's message.
  std::string failure_reason(const jobs::JobRecord& job) override;
  double poll_interval_seconds() const override { return 0.2; }
  bool refresh_is_local() const override { return true; }

  // Resolves the image, unpacks the rootfs, records the job (QUEUED).
  PreparedJob prepare(const LocalJobOptions& options);
  // Runs the job's attempts in a process of its own (`mlbox run -d`).
  void start_detached(const PreparedJob& job, const LocalJobOptions& options);
  // Runs the attempts here; each output line goes to `on_line`. Returns the final state.
  jobs::JobState run_attached(PreparedJob& job, const LocalJobOptions& options,
                              const std::function<void(const std::string&)>& on_line);

 private:
  Observer& observer_;
  std::filesystem::path store_path_;
};

// The log files of a job, attempt order.
std::vector<std::filesystem::path> attempt_logs(const std::filesystem::path& job_dir);

// The options a JobSpec stands for: image_ref "oci:STORE:TAG", output_uri a folder.
LocalJobOptions options_from_spec(const jobs::JobSpec& spec);

}  // namespace mlbox::cloud::local
