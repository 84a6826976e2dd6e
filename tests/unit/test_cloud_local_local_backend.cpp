#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include "cloud/local/local_backend.h"
#include "jobs/job_control.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;
namespace stdfs = std::filesystem;

namespace {

jobs::JobRecord local_job(const stdfs::path& job_dir, jobs::JobState state) {
  jobs::JobRecord r;
  r.id = jobs::new_job_id("local");
  r.name = "train";
  r.backend = "local";
  r.state = state;
  r.output_dir = (job_dir / "output").string();
  r.details = {{"job_dir", job_dir.string()}};
  return r;
}

void append(const stdfs::path& p, const std::string& text) {
  std::string old;
  fs::read_file_if_exists(p, old);
  fs::write_file_atomic(p, old + text);
}

// A pid that was just used and is gone.
pid_t dead_pid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

}  // namespace

TEST_CASE("local logs: the cursor carries across attempts; a partial line waits for its end") {
  fs::TempDir dir;
  stdfs::create_directories(dir.path() / "logs");
  auto log1 = dir.path() / "logs" / "attempt-1.log";
  append(log1, "one\ntw");
  NullObserver quiet;
  cloud::local::LocalBackend backend(quiet, dir.path() / "jobs.db");
  auto job = local_job(dir.path(), jobs::JobState::kRunning);

  std::vector<jobs::LogLine> out;
  std::string cursor = backend.read_logs(job, "", out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].text == "one");
  CHECK(out[0].attempt == 1);

  append(log1, "o\nthree");  // attempt 1 ends without a newline; attempt 2 starts
  append(dir.path() / "logs" / "attempt-2.log", "resumed\n");
  out.clear();
  cursor = backend.read_logs(job, cursor, out);
  REQUIRE(out.size() == 3);
  CHECK(out[0].text == "two");
  CHECK(out[1].text == "three");
  CHECK(out[2].text == "resumed");
  CHECK(out[2].attempt == 2);

  out.clear();
  backend.read_logs(job, cursor, out);
  CHECK(out.empty());
  CHECK(cloud::local::attempt_logs(dir.path()).size() == 2);
}

TEST_CASE("local refresh: a job whose runner is gone becomes FAILED, its attempt lost") {
  fs::TempDir dir;
  jobs::JobStore store(dir.path() / "jobs.db");
  NullObserver quiet;
  cloud::local::LocalBackend backend(quiet, store.path());
  auto job = local_job(dir.path(), jobs::JobState::kRunning);
  job.details["runner_pid"] = dead_pid();
  store.insert(job);
  store.begin_attempt(job.id);

  jobs::JobRecord r = jobs::refresh_job(store, backend, store.resolve(job.id));
  CHECK(r.state == jobs::JobState::kFailed);
  REQUIRE(r.attempts.size() == 1);
  CHECK(r.attempts[0].outcome == "lost");

  // A live runner (this process) is left alone.
  auto alive = local_job(dir.path(), jobs::JobState::kRunning);
  alive.details["runner_pid"] = ::getpid();
  store.insert(alive);
  CHECK(jobs::refresh_job(store, backend, store.resolve(alive.id)).state ==
        jobs::JobState::kRunning);
}

TEST_CASE("local refresh from a stale record keeps the end the runner recorded") {
  // `logs -f` read the record while the job ran; the runner then recorded CANCELLED and
  // exited. Its refresh must not take the runner's exit for a death.
  fs::TempDir dir;
  jobs::JobStore store(dir.path() / "jobs.db");
  NullObserver quiet;
  cloud::local::LocalBackend backend(quiet, store.path());
  auto job = local_job(dir.path(), jobs::JobState::kRunning);
  job.details["runner_pid"] = dead_pid();
  store.insert(job);
  jobs::JobRecord stale = store.resolve(job.id);
  store.set_state(job.id, jobs::JobState::kCancelled);
  CHECK(jobs::refresh_job(store, backend, stale).state == jobs::JobState::kCancelled);
}

TEST_CASE("local cancel of a job with no live process marks it CANCELLED") {
  fs::TempDir dir;
  jobs::JobStore store(dir.path() / "jobs.db");
  NullObserver quiet;
  cloud::local::LocalBackend backend(quiet, store.path());
  auto job = local_job(dir.path(), jobs::JobState::kRunning);
  job.details["runner_pid"] = dead_pid();
  job.details["pid"] = dead_pid();
  store.insert(job);
  auto r = jobs::cancel_job(store, backend, store.resolve(job.id), {});
  CHECK(r.state == jobs::JobState::kCancelled);
}
