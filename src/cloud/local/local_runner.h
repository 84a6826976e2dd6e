// The local backend: runs a job from an image in the project's OCI layout on this machine.
// The image is unpacked once into the shared rootfs cache; each attempt gets a runc bundle
// (config.json pointing at the read-only cached tree) and runs as `runc run` with its state
// under $MLBOX_HOME/runc. The job's output dir is bound at /mlbox/output and the trainer's
// env contract (MLBOX_OUTPUT_DIR, MLBOX_MODEL_DIR, MLBOX_CHECKPOINT_DIR, MLBOX_DATA_DIR,
// MLBOX_TENSORBOARD_DIR, MLBOX_JOB_ID, MLBOX_ATTEMPT) points inside it. Output lines go to
// <job dir>/logs/attempt-N.log and to the caller.
//
// Only when asked (--no-runc or MLBOX_NO_RUNC=1) the host's mlbox-trainer runs the image's
// command directly on the host as this user, with the same env contract (host paths) and
// cwd = the unpacked rootfs's WorkingDir: isolation and the image's own userland are lost,
// which the runner says plainly. Without runc (not root, not installed) and without that
// request, a run is refused.
//
// Attempt exit codes: 0 -> SUCCEEDED; 75 (mlbox-trainer's "preempted": it saved a checkpoint
// on SIGTERM) -> PREEMPTED, and the next attempt resumes from the same checkpoint dir;
// anything else -> FAILED. LocalBackend (local_backend.h) stops a running attempt from another
// process.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/events.h"
#include "image/oci_layout.h"
#include "jobs/job_store.h"

namespace mlbox::cloud::local {

// mlbox-trainer's exit code after an orderly stop on SIGTERM (trainer/supervisor.h).
inline constexpr int kTrainerExitPreempted = 75;

// Container paths of the env contract.
inline constexpr const char* kContainerOutputDir = "/mlbox/output";
inline constexpr const char* kContainerDataDir = "/mlbox/data";

enum class Isolation { kRunc, kHostProcess };

struct LocalJobOptions {
  std::filesystem::path store;       // the project's .mlbox/oci
  std::string tag;                   // empty: the only tag, else "latest"
  std::string name;                  // job name (default: the project directory's name)
  std::filesystem::path output_dir;  // empty: <job dir>/output
  std::filesystem::path data_dir;    // empty: none (bound read-only at /mlbox/data)
  std::vector<std::string> command;  // overrides the image's Cmd
  std::vector<std::string> env;      // KEY=value on top of the image's Env
  bool no_runc = false;
  int max_attempts = 3;  // preempted attempts are retried up to this many in all
};

// What a run resolved before starting (recorded in the job store).
struct PreparedJob {
  jobs::JobRecord record;
  std::filesystem::path job_dir;  // $MLBOX_HOME/jobs/<id>
  std::filesystem::path rootfs;
  image::ImageConfig config;
  Isolation isolation = Isolation::kRunc;
  std::string isolation_reason;  // why runc is not used
};

struct AttemptResult {
  int number = 0;
  int exit_code = -1;
  jobs::JobState state = jobs::JobState::kFailed;  // SUCCEEDED, PREEMPTED, FAILED, CANCELLED
  std::filesystem::path log;
};

// What decides how a job is isolated.
struct IsolationFacts {
  bool no_runc_flag = false;
  std::string no_runc_env;  // MLBOX_NO_RUNC
  bool root = false;
  bool runc_installed = false;
  std::string user;  // who the host process would run as, for the message
};
struct IsolationChoice {
  Isolation isolation = Isolation::kRunc;
  std::string reason;  // why the host process: "--no-runc was given"
};
// runc when it can be used and the host was not asked for; the host process only when asked
// (--no-runc, MLBOX_NO_RUNC=1). Error(kConfig) when runc cannot be used (not root, not
// installed) and the host was not asked for: the image's command never runs on the host
// by surprise.
IsolationChoice choose_isolation(const IsolationFacts& facts);
// The facts of this process (environment, euid, PATH).
IsolationFacts isolation_facts_here(bool no_runc_flag);
// "alice (uid 1000)": who this process runs as.
std::string user_description();

std::filesystem::path jobs_root();        // $MLBOX_HOME/jobs
std::filesystem::path runc_state_root();  // $MLBOX_HOME/runc

class LocalRunner {
 public:
  LocalRunner(jobs::JobStore& store, Observer& observer);

  // Resolves the image, unpacks the rootfs, decides the isolation, records the job
  // (state QUEUED). Throws Error(kConfig) for a missing image or tag.
  PreparedJob prepare(const LocalJobOptions& options);

  // Runs attempts until one succeeds, fails, is cancelled, or max_attempts preemptions.
  // Returns the final state.
  jobs::JobState run(PreparedJob& job, const LocalJobOptions& options);

  // Each output line of the job (without newline); default: observer.info.
  std::function<void(const std::string&)> on_log_line;

 private:
  AttemptResult run_attempt(PreparedJob& job, const LocalJobOptions& options, int number);
  jobs::JobStore& store_;
  Observer& observer_;
};

}  // namespace mlbox::cloud::local
