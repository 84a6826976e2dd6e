// The job history: one SQLite database at $MLBOX_HOME/jobs.db shared by every mlbox process
// (WAL journal, busy timeout, write transactions taken with BEGIN IMMEDIATE), so a
// `mlbox run` recording its attempts and a `mlbox jobs` / `mlbox cancel` in another terminal
// never see a half-written record nor fail with "database is locked".
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/utc_time.h"

struct sqlite3;

namespace mlbox::jobs {

enum class JobState {
  kSubmitted,
  kQueued,
  kStarting,
  kRunning,
  kPreempted,
  kRetrying,
  kSucceeded,
  kFailed,
  kCancelled
};

const char* to_string(JobState state);  // "SUCCEEDED"
// Throws Error(kInternal) for a name that is not a state (a corrupt record).
JobState parse_job_state(std::string_view name);
bool is_terminal(JobState state);  // SUCCEEDED, FAILED, CANCELLED

struct Attempt {
  int number = 0;          // 1-based
  std::string started_at;  // RFC 3339 UTC
  std::string ended_at;    // empty while running
  std::optional<int> exit_code;
  std::string outcome;  // "succeeded", "failed", "preempted", "cancelled"; empty while running
};

struct JobRecord {
  std::string id;
  std::string name;
  std::string backend;  // "local", "vertex", "aws-batch"
  std::string image_ref;
  std::string image_digest;
  JobState state = JobState::kSubmitted;
  std::string output_dir;
  nlohmann::json details = nlohmann::json::object();  // backend-specific (pid, container id...)
  std::string created_at;
  std::string updated_at;
  std::vector<Attempt> attempts;

  nlohmann::json to_json() const;
};

// "local-20261122-a1b2c3": backend, UTC date, 6 random hex digits.
std::string new_job_id(std::string_view backend);
using ::mlbox::utc_now_rfc3339;

class JobStore {
 public:
  // Opens (creating) the database; default path $MLBOX_HOME/jobs.db.
  explicit JobStore(std::filesystem::path path = default_path());
  ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  static std::filesystem::path default_path();
  const std::filesystem::path& path() const { return path_; }

  // Inserts a new record (created/updated set now). Throws Error(kInternal) if the id exists.
  void insert(JobRecord record);
  void set_state(const std::string& id, JobState state);
  void set_details(const std::string& id, const nlohmann::json& details);
  // Starts the next attempt (number = previous + 1) and returns its number.
  int begin_attempt(const std::string& id);
  void end_attempt(const std::string& id, int number, std::optional<int> exit_code,
                   const std::string& outcome);

  // A cloud job's state and attempts as the cloud reports them, written in one transaction
  // (the attempts replace the stored ones). A terminal state is never overwritten by a
  // non-terminal one (a late refresh racing a cancel).
  void apply_remote(const std::string& id, JobState state, const std::vector<Attempt>& attempts);

  std::optional<JobRecord> find(const std::string& id) const;
  // The one job whose id is `id_or_prefix` or starts with it. Throws Error(kUsage) when
  // none matches (with a did-you-mean) or several do (naming them).
  JobRecord resolve(const std::string& id_or_prefix) const;
  // Newest first (jobs created in the same second: the later insert first).
  std::vector<JobRecord> list(size_t limit = 0) const;

 private:
  void exec(const char* sql) const;
  void load_attempts(JobRecord& record) const;
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

}  // namespace mlbox::jobs
