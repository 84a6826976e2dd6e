#include <doctest/doctest.h>

#include "jobs/data_staging.h"
#include "jobs/job_submission.h"
#include "unit/fake_job_backend.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;
using namespace mlbox::jobs;
using mlbox::testing::FakeJobBackend;

namespace {

config::Settings batch_settings(const std::string& region) {
  std::map<std::string, std::string> env = {{"HOME", "/nonexistent-home"}};
  return config::resolve(nullptr,
                         {{"target", "batch"},
                          {"region", region},
                          {"gpu", "T4:1"},
                          {"output", "s3://bucket/runs"},
                          {"job_queue", "gpu-queue"}},
                         config::env_from_map(env), nullptr);
}

SpecInputs inputs(const config::Settings& s) {
  SpecInputs in;
  in.settings = &s;
  in.target = "batch";
  in.job_id = "fake-20261122-abc123";
  in.image_ref = "123456789012.dkr.ecr.us-east-1.amazonaws.com/digits";
  return in;
}

const std::string kDigest = "sha256:" + std::string(64, 'c');

}  // namespace

TEST_CASE("submit_job: checked, pushed, staged, submitted, then recorded") {
  fs::TempDir dir;
  JobStore store(dir.path() / "jobs.db");
  FakeJobBackend backend;
  auto settings = batch_settings("us-west-2");
  std::vector<std::string> steps;
  SubmitSteps s;
  s.push_image = [&] {
    steps.push_back("push");
    return PushedImage{"123456789012.dkr.ecr.us-east-1.amazonaws.com/digits:v1",
                       kDigest,
                       {{"lock_digest", "sha256:1ock"}, {"base_image", "python:3.11@sha256:ba5e"}}};
  };
  s.stage_data = [&](JobSpec& spec) {
    steps.push_back("stage");
    spec.data.push_back({"train", "s3://bucket/runs/mlbox-data/train/tree.json"});
  };
  NullObserver quiet;
  JobRecord r = submit_job(store, backend, inputs(settings), s, quiet);
  CHECK(steps == std::vector<std::string>{"push", "stage"});
  REQUIRE(backend.submitted.size() == 1);
  const JobSpec& spec = backend.submitted[0];
  CHECK(spec.image_digest == kDigest);
  CHECK(spec.env.count(kDataSourcesEnv) == 1);
  CHECK(r.id == "fake-20261122-abc123");
  CHECK(r.state == JobState::kSubmitted);
  CHECK(r.backend == "fake");
  CHECK(r.details.value("remote_id", "") == "remote-1");
  CHECK(r.details["spec"]["image_digest"] == kDigest);
  CHECK(r.details.value("lock_digest", "") == "sha256:1ock");  // for the run card
  CHECK(r.details.value("base_image", "") == "python:3.11@sha256:ba5e");
  CHECK(r.output_dir == "s3://bucket/runs/" + r.id);
}

TEST_CASE("submit_job: a bad setting stops it before the push; a refusal leaves no record") {
  fs::TempDir dir;
  JobStore store(dir.path() / "jobs.db");
  FakeJobBackend backend;
  int pushes = 0;
  SubmitSteps s;
  s.push_image = [&] {
    ++pushes;
    return PushedImage{"h/r:t", kDigest};
  };
  NullObserver quiet;
  auto bad = batch_settings("us-east-9");
  CHECK_THROWS_AS(submit_job(store, backend, inputs(bad), s, quiet), Error);
  CHECK(pushes == 0);

  backend.refuse_submit = true;
  auto good = batch_settings("us-west-2");
  CHECK_THROWS(submit_job(store, backend, inputs(good), s, quiet));
  CHECK(pushes == 1);
  CHECK(store.list().empty());
}

TEST_CASE("plan_job: the spec and the backend's requests, nothing sent") {
  FakeJobBackend backend;
  auto settings = batch_settings("us-west-2");
  auto plan = plan_job(backend, inputs(settings), {"h/r:t", kDigest});
  CHECK(plan["dry_run"] == true);
  CHECK(plan["backend"] == "fake");
  CHECK(plan["spec"]["image_ref"] == "h/r:t");
  CHECK(plan["requests"].size() == 1);
  CHECK(backend.submitted.empty());
}
