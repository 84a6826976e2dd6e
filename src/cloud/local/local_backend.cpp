#include "cloud/local/local_backend.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "jobs/output_copy.h"
#include "util/detached_process.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/process.h"
#include "util/strings.h"

namespace mlbox::cloud::local {

namespace stdfs = std::filesystem;
using jobs::JobState;

namespace {

// A zombie is not alive: a detached runner's parent (init) may be slow to reap it.
bool pid_alive(pid_t pid) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) return false;
  std::string stat;
  if (!fs::read_file_if_exists("/proc/" + std::to_string(pid) + "/stat", stat)) return true;
  auto paren = stat.rfind(')');
  return !(paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z');
}

stdfs::path log_of(const stdfs::path& job_dir, int attempt) {
  return job_dir / "logs" / ("attempt-" + std::to_string(attempt) + ".log");
}

// "N:OFFSET" -> {N, OFFSET}; empty or malformed: the start of attempt 1.
std::pair<int, std::uintmax_t> parse_cursor(const std::string& cursor) {
  auto colon = cursor.find(':');
  if (colon == std::string::npos) return {1, 0};
  try {
    int attempt = std::stoi(cursor.substr(0, colon));
    auto offset = static_cast<std::uintmax_t>(std::stoull(cursor.substr(colon + 1)));
    return {attempt < 1 ? 1 : attempt, offset};
  } catch (const std::exception&) {
    return {1, 0};
  }
}

}  // namespace

std::vector<stdfs::path> attempt_logs(const stdfs::path& job_dir) {
  std::vector<stdfs::path> logs;
  for (int n = 1;; ++n) {
    stdfs::path p = log_of(job_dir, n);
    if (!stdfs::exists(p)) break;
    logs.push_back(p);
  }
  return logs;
}

LocalJobOptions options_from_spec(const jobs::JobSpec& spec) {
  // "oci:STORE:TAG"; the store path may itself hold colons, the tag cannot.
  const std::string& ref = spec.image_ref;
  auto last = ref.rfind(':');
  if (ref.rfind("oci:", 0) != 0 || last == std::string::npos || last < 4) {
    throw Error(ErrorKind::kUsage, "a local job runs an image of an OCI layout, not '" + ref + "'",
                "name it oci:STORE:TAG");
  }
  LocalJobOptions o;
  o.store = ref.substr(4, last - 4);
  o.tag = ref.substr(last + 1);
  o.name = spec.name;
  o.output_dir = spec.output_uri;
  o.command = spec.command;
  for (const auto& [k, v] : spec.env) o.env.push_back(k + "=" + v);
  return o;
}

LocalBackend::LocalBackend(Observer& observer, stdfs::path store_path)
    : observer_(observer), store_path_(std::move(store_path)) {}

nlohmann::json LocalBackend::plan_requests(const jobs::JobSpec&) {
  throw Error(ErrorKind::kUsage, "--dry-run is for cloud targets (vertex, batch)",
              "use --target vertex or --target batch");
}

jobs::SubmitResult LocalBackend::submit(const jobs::JobSpec& spec) {
  LocalJobOptions options = options_from_spec(spec);
  PreparedJob job = prepare(options);
  start_detached(job, options);
  jobs::SubmitResult result;
  result.remote_id = job.record.id;
  result.details = job.record.details;
  return result;
}

PreparedJob LocalBackend::prepare(const LocalJobOptions& options) {
  jobs::JobStore store(store_path_);
  return LocalRunner(store, observer_).prepare(options);
}

void LocalBackend::start_detached(const PreparedJob& job, const LocalJobOptions& options) {
  const stdfs::path store_path = store_path_;
  // An init-capture: a copy the child may change (the runner records into it).
  start_detached_process([prepared = job, options, store_path]() mutable {
    const std::string id = prepared.record.id;
    try {
      jobs::JobStore store(store_path);
      NullObserver quiet;
      LocalRunner runner(store, quiet);
      runner.on_log_line = [](const std::string&) {};
      return runner.run(prepared, options) == JobState::kSucceeded ? 0 : 7;
    } catch (const std::exception&) {
      try {
        jobs::JobStore s(store_path);
        s.set_state(id, JobState::kFailed);
      } catch (...) {
      }
      return 1;
    }
  });
}

JobState LocalBackend::run_attached(PreparedJob& job, const LocalJobOptions& options,
                                    const std::function<void(const std::string&)>& on_line) {
  jobs::JobStore store(store_path_);
  LocalRunner runner(store, observer_);
  runner.on_log_line = on_line;
  return runner.run(job, options);
}

jobs::RemoteStatus LocalBackend::refresh(const jobs::JobRecord& seen) {
  jobs::RemoteStatus st;
  st.recorded = true;
  st.state = seen.state;
  st.attempts = seen.attempts;
  if (jobs::is_terminal(seen.state)) return st;
  pid_t runner = seen.details.value("runner_pid", 0);
  if (runner <= 0 || pid_alive(runner)) return st;
  // The runner is gone. It records the job's end before it exits, so the record read now
  // (not the one the caller read earlier, while the job ran) tells a finished job from one
  // whose runner died (killed, machine rebooted) while the record says it is active.
  jobs::JobStore store(store_path_);
  jobs::JobRecord job = store.resolve(seen.id);
  st.state = job.state;
  st.attempts = job.attempts;
  if (jobs::is_terminal(job.state)) return st;
  for (const auto& a : job.attempts) {
    if (a.ended_at.empty()) store.end_attempt(job.id, a.number, std::nullopt, "lost");
  }
  store.set_state(job.id, JobState::kFailed);
  st.state = JobState::kFailed;
  st.message = "its runner process is gone";
  observer_.warn("job " + job.id + ": its runner process is gone; marked FAILED");
  return st;
}

std::string LocalBackend::failure_reason(const jobs::JobRecord& job) {
  std::string text;
  if (!job.output_dir.empty() &&
      fs::read_file_if_exists(stdfs::path(job.output_dir) / "failure", text)) {
    std::string reason(trim(text));
    if (reason.size() > 2000) reason = reason.substr(0, 2000) + "...";
    if (!reason.empty()) return reason;
  }
  return JobBackend::failure_reason(job);
}

std::string LocalBackend::read_logs(const jobs::JobRecord& job, const std::string& cursor,
                                    std::vector<jobs::LogLine>& out) {
  const stdfs::path job_dir = job.details.value("job_dir", "");
  auto [attempt, offset] = parse_cursor(cursor);
  for (;;) {
    stdfs::path path = log_of(job_dir, attempt);
    std::ifstream in(path, std::ios::binary);
    if (!in) break;
    in.seekg(static_cast<std::streamoff>(offset));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t start = 0, nl;
    while ((nl = text.find('\n', start)) != std::string::npos) {
      out.push_back({"", attempt, text.substr(start, nl - start)});
      start = nl + 1;
    }
    // A line without its newline is complete only once nothing more can be written to it.
    bool next_exists = stdfs::exists(log_of(job_dir, attempt + 1));
    if (start < text.size() && (next_exists || jobs::is_terminal(job.state))) {
      out.push_back({"", attempt, text.substr(start)});
      start = text.size();
    }
    offset += start;
    if (!next_exists) break;
    ++attempt;
    offset = 0;
  }
  return std::to_string(attempt) + ":" + std::to_string(offset);
}

void LocalBackend::cancel(const jobs::JobRecord& r, const jobs::CancelRequest& request) {
  jobs::JobStore store(store_path_);
  pid_t pid = r.details.value("pid", 0);
  int attempt = r.details.value("attempt", 0);
  if (!pid_alive(pid)) {
    pid_t runner = r.details.value("runner_pid", 0);
    if (!pid_alive(runner)) {
      // The runner died without recording the end: nothing is running any more.
      store.set_state(r.id, JobState::kCancelled);
      observer_.warn("job " + r.id + " had no live process; marked CANCELLED");
      return;
    }
    throw Error(
        ErrorKind::kUsage,
        "job " + r.id + " is " + jobs::to_string(r.state) + " and has no running attempt yet",
        "try again in a moment");
  }
  // Recorded before the signal, so that the runner sees why its attempt ended.
  if (request.preempt) {
    nlohmann::json d = r.details;
    d["preempt_requested"] = attempt;
    store.set_details(r.id, d);
  } else {
    store.set_state(r.id, JobState::kCancelled);
  }
  observer_.info("sending SIGTERM to job " + r.id + " (attempt " + std::to_string(attempt) + ")");
  ::kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(request.grace_seconds);
  while (pid_alive(pid) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (pid_alive(pid)) {
    observer_.warn("job " + r.id + " still running after " + std::to_string(request.grace_seconds) +
                   " s; sending SIGKILL");
    if (r.details.contains("container_id")) {
      run_process({"runc", "--root", r.details.value("runc_root", ""), "kill",
                   r.details.value("container_id", ""), "KILL"});
    } else {
      ::kill(-pid, SIGKILL);
    }
  }
}

std::vector<stdfs::path> LocalBackend::fetch(const jobs::JobRecord& job, const stdfs::path& dir,
                                             bool checkpoints) {
  if (!stdfs::is_directory(job.output_dir)) {
    throw Error(ErrorKind::kConfig,
                "the outputs of " + job.id + " are gone (" + job.output_dir + ")");
  }
  // Like a cloud job's: checkpoints are large and mostly wanted for resuming, so only on ask.
  std::vector<std::string> skip;
  if (!checkpoints) skip.push_back("checkpoints");
  return jobs::copy_output_tree(job.output_dir, dir, skip);
}

}  // namespace mlbox::cloud::local
