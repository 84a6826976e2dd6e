#include <doctest/doctest.h>

#include "jobs/job_control.h"
#include "unit/fake_job_backend.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;
using namespace mlbox::jobs;
using mlbox::testing::FakeJobBackend;

namespace {

JobRecord stored(JobStore& store, JobState state = JobState::kSubmitted) {
  JobRecord r;
  r.id = new_job_id("fake");
  r.name = "train";
  r.backend = "fake";
  r.state = state;
  r.output_dir = "gs://b/p/" + r.id;
  store.insert(r);
  return store.resolve(r.id);
}

}  // namespace

TEST_CASE("refresh_job writes the backend's state and attempts, then stops asking") {
  fs::TempDir dir;
  JobStore store(dir.path() / "jobs.db");
  FakeJobBackend backend;
  backend.states = {JobState::kRunning, JobState::kSucceeded};
  JobRecord r = stored(store);

  r = refresh_job(store, backend, r);
  CHECK(r.state == JobState::kRunning);
  REQUIRE(r.attempts.size() == 1);
  CHECK(r.attempts[0].ended_at.empty());

  r = refresh_job(store, backend, r);
  CHECK(r.state == JobState::kSucceeded);
  CHECK(r.attempts[0].outcome == "succeeded");
  CHECK(r.details.value("status_message", "") == "done");
  CHECK(r.details.value("final", false));

  r = refresh_job(store, backend, r);  // terminal and final: the backend is not asked
  CHECK(backend.refreshes == 2);
}

TEST_CASE("refresh_job leaves the record alone when the backend records it itself") {
  fs::TempDir dir;
  JobStore store(dir.path() / "jobs.db");
  FakeJobBackend backend;
  backend.recorded = true;
  backend.states = {JobState::kFailed};
  JobRecord r = refresh_job(store, backend, stored(store, JobState::kRunning));
  CHECK(r.state == JobState::kRunning);
  CHECK(r.attempts.empty());
}

TEST_CASE("stream_logs without follow: every line so far, each attempt introduced once") {
  fs::TempDir dir;
  JobStore store(dir.path() / "jobs.db");
  FakeJobBackend backend;
  backend.lines = {{"", 1, "a"}, {"", 1, "b"}, {"2026-11-22T18:00:00Z", 2, "c"}};
  std::vector<std::string> out;
  NullObserver quiet;
  stream_logs(
      store, backend, stored(store), false, [&](const std::string& l) { out.push_back(l); }, quiet);
  CHECK(out == std::vector<std::string>{attempt_marker(1), "a", "b", attempt_marker(2),
                                        "2026-11-22T18:00:00Z c"});
  CHECK(backend.refreshes == 0);
  CHECK(read_all_logs(backend, stored(store)).size() == 3);
}

TEST_CASE("stream_logs with follow polls until the job ends and drains what came last") {
  fs::TempDir dir;
  JobStore store(dir.path() / "jobs.db");
  FakeJobBackend backend;
  backend.states = {JobState::kQueued, JobState::kRunning, JobState::kRunning,
                    JobState::kSucceeded};
  backend.later_lines = {{2, {"", 1, "started"}}, {4, {"", 1, "last words"}}};
  std::vector<std::string> out;
  NullObserver quiet;
  JobRecord fin = stream_logs(
      store, backend, stored(store), true, [&](const std::string& l) { out.push_back(l); }, quiet);
  CHECK(fin.state == JobState::kSucceeded);
  CHECK(store.resolve(fin.id).state == JobState::kSucceeded);
  CHECK(out == std::vector<std::string>{attempt_marker(1), "started", "last words"});
  CHECK(backend.refreshes == 4);
}

TEST_CASE("cancel_job: CANCELLED recorded; a preemption is not a cancel; ended jobs refused") {
  fs::TempDir dir;
  JobStore store(dir.path() / "jobs.db");
  FakeJobBackend backend;
  JobRecord r = cancel_job(store, backend, stored(store, JobState::kRunning), {});
  CHECK(r.state == JobState::kCancelled);
  CHECK(backend.cancels == 1);

  ErrorKind kind = ErrorKind::kInternal;
  try {
    cancel_job(store, backend, r, {});
  } catch (const Error& e) {
    kind = e.kind();
  }
  CHECK(kind == ErrorKind::kUsage);
  CHECK(backend.cancels == 1);

  // The fake, like a cloud, cannot preempt: usage error, state untouched.
  JobRecord running = stored(store, JobState::kRunning);
  CHECK_THROWS_AS(cancel_job(store, backend, running, {true, 30}), Error);
  CHECK(store.resolve(running.id).state == JobState::kRunning);
}
