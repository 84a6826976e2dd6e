#include <doctest/doctest.h>

#include <regex>
#include <set>
#include <thread>

#include "jobs/job_store.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;
using namespace mlbox::jobs;

namespace {

JobRecord make(const std::string& id) {
  JobRecord r;
  r.id = id;
  r.name = "train";
  r.backend = "local";
  r.image_ref = "oci:.mlbox/oci:latest";
  r.image_digest = "sha256:" + std::string(64, 'a');
  r.output_dir = "/tmp/out/" + id;
  return r;
}

}  // namespace

TEST_CASE("job ids: backend, UTC date, 6 hex digits; unique") {
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    std::string id = new_job_id("local");
    CHECK(std::regex_match(id, std::regex("local-20[0-9]{6}-[0-9a-f]{6}")));
    ids.insert(id);
  }
  CHECK(ids.size() >= 49);
}

TEST_CASE("job states round-trip; terminal ones") {
  for (auto s : {JobState::kSubmitted, JobState::kQueued, JobState::kStarting, JobState::kRunning,
                 JobState::kPreempted, JobState::kRetrying, JobState::kSucceeded, JobState::kFailed,
                 JobState::kCancelled}) {
    CHECK(parse_job_state(to_string(s)) == s);
  }
  CHECK(is_terminal(JobState::kFailed));
  CHECK_FALSE(is_terminal(JobState::kPreempted));
  CHECK_THROWS_AS(parse_job_state("DONE"), Error);
}

TEST_CASE("job store: insert, attempts, state, details, list, reopen") {
  fs::TempDir dir;
  {
    JobStore store(dir.path() / "jobs.db");
    store.insert(make("local-20261122-abc123"));
    int a1 = store.begin_attempt("local-20261122-abc123");
    CHECK(a1 == 1);
    store.set_state("local-20261122-abc123", JobState::kRunning);
    store.end_attempt("local-20261122-abc123", a1, 75, "preempted");
    int a2 = store.begin_attempt("local-20261122-abc123");
    CHECK(a2 == 2);
    store.end_attempt("local-20261122-abc123", a2, 0, "succeeded");
    store.set_state("local-20261122-abc123", JobState::kSucceeded);
    store.set_details("local-20261122-abc123", {{"pid", 42}});
    CHECK_THROWS_AS(store.insert(make("local-20261122-abc123")), Error);
    CHECK_THROWS_AS(store.set_state("nope", JobState::kFailed), Error);
  }
  JobStore reopened(dir.path() / "jobs.db");
  auto r = reopened.find("local-20261122-abc123");
  REQUIRE(r);
  CHECK(r->state == JobState::kSucceeded);
  CHECK(r->details["pid"] == 42);
  REQUIRE(r->attempts.size() == 2);
  CHECK(r->attempts[0].exit_code == 75);
  CHECK(r->attempts[0].outcome == "preempted");
  CHECK_FALSE(r->attempts[0].ended_at.empty());
  CHECK(r->attempts[1].exit_code == 0);
  CHECK(r->to_json()["attempts"][1]["outcome"] == "succeeded");
  CHECK(reopened.list().size() == 1);
}

TEST_CASE("job store: unique-prefix lookup") {
  fs::TempDir dir;
  JobStore store(dir.path() / "jobs.db");
  store.insert(make("local-20261122-abc123"));
  store.insert(make("local-20261122-abd999"));
  store.insert(make("local-20261123-ffffff"));
  CHECK(store.resolve("local-20261122-abc").id == "local-20261122-abc123");
  CHECK(store.resolve("local-20261123").id == "local-20261123-ffffff");
  CHECK(store.resolve("abd999").id == "local-20261122-abd999");  // the random suffix alone
  CHECK(store.resolve("local-20261122-abc123").id == "local-20261122-abc123");
  try {
    store.resolve("local-20261122-ab");
    FAIL("ambiguous prefix accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kUsage);
    CHECK(std::string(e.what()).find("matches 2 jobs") != std::string::npos);
  }
  CHECK_THROWS_AS(store.resolve("vertex-"), Error);
  try {
    store.resolve("gcp-99999999-zzzzzz");  // too far for a did-you-mean
    FAIL("unknown id accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kUsage);
    CHECK(e.hint().find("closest ids: local-2026112") == 0);
    CHECK(e.hint().find("list jobs with `mlbox jobs`") != std::string::npos);
  }
}

TEST_CASE("job store: two connections writing concurrently lose nothing") {
  fs::TempDir dir;
  auto path = dir.path() / "jobs.db";
  JobStore init(path);
  constexpr int kPerWriter = 40;
  auto writer = [&](char tag) {
    JobStore store(path);  // its own connection
    for (int i = 0; i < kPerWriter; ++i) {
      std::string id = std::string("local-20261122-") + tag + std::to_string(100000 + i).substr(1);
      store.insert(make(id));
      int n = store.begin_attempt(id);
      store.set_state(id, JobState::kRunning);
      store.end_attempt(id, n, 0, "succeeded");
      store.set_state(id, JobState::kSucceeded);
      (void)store.list(5);  // readers interleave with the other writer
    }
  };
  std::thread a(writer, 'a');
  std::thread b(writer, 'b');
  a.join();
  b.join();
  auto all = init.list();
  CHECK(all.size() == 2 * kPerWriter);
  for (const auto& r : all) {
    CHECK(r.state == JobState::kSucceeded);
    CHECK(r.attempts.size() == 1);
  }
}

TEST_CASE("job store: jobs created in the same second list in insert order, newest first") {
  fs::TempDir dir;
  JobStore store(dir.path() / "jobs.db");
  // Random id suffixes must not decide which job is "the newest" (status/logs without an id).
  for (const char* id :
       {"local-20261122-ffffff", "local-20261122-000000", "local-20261122-888888"}) {
    JobRecord r = make(id);
    r.created_at = "2026-11-22T10:00:00Z";
    store.insert(r);
  }
  auto all = store.list();
  REQUIRE(all.size() == 3);
  CHECK(all[0].id == "local-20261122-888888");
  CHECK(all[1].id == "local-20261122-000000");
  CHECK(all[2].id == "local-20261122-ffffff");
  CHECK(store.list(1).front().id == "local-20261122-888888");
}
