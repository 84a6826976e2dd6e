#include <doctest/doctest.h>

#include "cloud/aws/batch_requests.h"
#include "util/error.h"

using namespace mlbox::cloud::aws;
using mlbox::jobs::JobState;
using nlohmann::json;

namespace {

mlbox::catalog::Machine g4dn() {
  mlbox::catalog::Machine m;
  m.name = "g4dn.xlarge";
  m.cloud = "aws";
  m.gpu = "T4";
  m.gpu_count = 1;
  m.vcpu = 4;
  m.memory_gib = 16;
  return m;
}

mlbox::jobs::JobSpec spec() {
  mlbox::jobs::JobSpec s;
  s.name = "digits.2026";
  s.image_ref = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/model:v1";
  s.image_digest = "sha256:" + std::string(64, 'a');
  s.command = {"python", "train.py"};
  s.env = {{"SEED", "1"}};
  s.machine = "g4dn.xlarge";
  s.output_uri = "s3://bucket/runs/1";
  s.job_queue = "gpu-spot";
  s.job_role_arn = "arn:aws:iam::123456789012:role/mlbox-job";
  s.max_runtime_seconds = 3600;
  return s;
}

}  // namespace

TEST_CASE("batch: job definition from a spec and the machine catalog") {
  json d = job_definition_request(spec(), g4dn());
  CHECK(d["jobDefinitionName"] == "mlbox-digits-2026");
  CHECK(d["type"] == "container");
  const json& c = d["containerProperties"];
  CHECK(c["image"] ==
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/model@sha256:" + std::string(64, 'a'));
  CHECK(c["command"] == json({"python", "train.py"}));
  CHECK(c["resourceRequirements"] == json::parse(R"([{"type":"VCPU","value":"4"},
      {"type":"MEMORY","value":"14745"},{"type":"GPU","value":"1"}])"));
  CHECK(c["jobRoleArn"] == "arn:aws:iam::123456789012:role/mlbox-job");
  CHECK(c["logConfiguration"]["logDriver"] == "awslogs");
  CHECK(c["logConfiguration"]["options"]["awslogs-group"] == "/aws/batch/job");
  // Per-job values are not part of the shared definition.
  CHECK(c["environment"] == json::parse(R"([{"name":"MLBOX_PLATFORM","value":"aws-batch"}])"));
  CHECK_FALSE(d.contains("nodeProperties"));

  auto multi = spec();
  multi.nodes = 4;
  json m = job_definition_request(multi, g4dn());
  CHECK(m["type"] == "multinode");
  CHECK_FALSE(m.contains("containerProperties"));
  CHECK(m["nodeProperties"]["numNodes"] == 4);
  CHECK(m["nodeProperties"]["mainNode"] == 0);
  CHECK(m["nodeProperties"]["nodeRangeProperties"][0]["targetNodes"] == "0:");
  CHECK(m["nodeProperties"]["nodeRangeProperties"][0]["container"]["instanceType"] ==
        "g4dn.xlarge");

  auto unpinned = spec();
  unpinned.image_digest.clear();
  CHECK_THROWS_AS(job_definition_request(unpinned, g4dn()), mlbox::Error);
}

TEST_CASE("batch: submit body carries the spot-aware retry strategy and the timeout") {
  json s = submit_job_request(spec(), "mlbox-digits-2026:3");
  CHECK(s["jobDefinition"] == "mlbox-digits-2026:3");
  CHECK(s["jobQueue"] == "gpu-spot");
  CHECK(s["retryStrategy"] == json::parse(R"({"attempts":3,"evaluateOnExit":[
      {"onStatusReason":"Host EC2*","action":"RETRY"},{"onReason":"*","action":"EXIT"}]})"));
  CHECK(s["timeout"]["attemptDurationSeconds"] == 3600);
  bool has_model_dir = false, has_seed = false;
  for (const auto& e : s["containerOverrides"]["environment"]) {
    if (e["name"] == "MLBOX_MODEL_DIR") has_model_dir = e["value"] == "s3://bucket/runs/1/model";
    if (e["name"] == "SEED") has_seed = e["value"] == "1";
  }
  CHECK(has_model_dir);
  CHECK(has_seed);
  auto multi = spec();
  multi.nodes = 2;
  json m = submit_job_request(multi, "d:1");
  CHECK_FALSE(m.contains("containerOverrides"));
  CHECK(m["nodeOverrides"]["nodePropertyOverrides"][0]["targetNodes"] == "0:");
  CHECK(m["nodeOverrides"]["nodePropertyOverrides"][0]["containerOverrides"]["environment"] ==
        s["containerOverrides"]["environment"]);
  auto no_queue = spec();
  no_queue.job_queue.clear();
  CHECK_THROWS_AS(submit_job_request(no_queue, "x"), mlbox::Error);
}

TEST_CASE("batch: an identical ACTIVE definition is reused, any difference is not") {
  json wanted = job_definition_request(spec(), g4dn());
  json existing = wanted;
  existing["revision"] = 2;
  existing["status"] = "ACTIVE";
  existing["jobDefinitionArn"] = "arn:...:2";
  existing["containerProperties"]["volumes"] = json::array();
  existing["containerProperties"]["mountPoints"] = json::array();
  CHECK(job_definition_matches(existing, wanted));
  json inactive = existing;
  inactive["status"] = "INACTIVE";
  CHECK_FALSE(job_definition_matches(inactive, wanted));
  json other_image = existing;
  other_image["containerProperties"]["image"] = "x@sha256:b";
  CHECK_FALSE(job_definition_matches(other_image, wanted));
  json other_env = existing;
  other_env["containerProperties"]["environment"][0]["value"] = "2";
  CHECK_FALSE(job_definition_matches(other_env, wanted));
  json with_retry = existing;
  with_retry["retryStrategy"] = {{"attempts", 5}};
  CHECK_FALSE(job_definition_matches(with_retry, wanted));
}

TEST_CASE("batch: DescribeJobs states and attempts, spot reclaims included") {
  json job = json::parse(R"({"jobId":"j1","status":"RUNNABLE","statusReason":
      "Host EC2 (instance i-0abc) terminated.","attempts":[{"startedAt":1700000000000,
      "stoppedAt":1700000060000,"statusReason":"Host EC2 (instance i-0abc) terminated.",
      "container":{"logStreamName":"mlbox/default/a1"}}]})");
  auto s = remote_status_from(job);
  CHECK(s.state == JobState::kRetrying);
  REQUIRE(s.attempts.size() == 1);
  CHECK(s.attempts[0].outcome == "preempted");
  CHECK(s.attempts[0].started_at == "2023-11-14T22:13:20Z");
  CHECK(s.attempts[0].ended_at == "2023-11-14T22:14:20Z");

  job["status"] = "RUNNING";
  job["startedAt"] = 1700000100000;
  job["container"] = {{"logStreamName", "mlbox/default/a2"}};
  s = remote_status_from(job);
  CHECK(s.state == JobState::kRunning);
  REQUIRE(s.attempts.size() == 2);
  CHECK(s.attempts[1].number == 2);
  CHECK(s.attempts[1].outcome.empty());
  CHECK(log_streams_of(job) == std::vector<std::string>{"mlbox/default/a1", "mlbox/default/a2"});

  job["status"] = "SUCCEEDED";
  job["attempts"].push_back(
      {{"container", {{"exitCode", 0}, {"logStreamName", "mlbox/default/a2"}}},
       {"startedAt", 1700000100000},
       {"stoppedAt", 1700000200000}});
  s = remote_status_from(job);
  CHECK(s.state == JobState::kSucceeded);
  CHECK(s.attempts.size() == 2);
  CHECK(s.attempts[1].outcome == "succeeded");
  CHECK(*s.attempts[1].exit_code == 0);

  CHECK(remote_status_from({{"status", "SUBMITTED"}}).state == JobState::kSubmitted);
  CHECK(remote_status_from({{"status", "PENDING"}}).state == JobState::kQueued);
  CHECK(remote_status_from({{"status", "STARTING"}}).state == JobState::kStarting);
  CHECK(remote_status_from({{"status", "FAILED"}}).state == JobState::kFailed);
  CHECK(remote_status_from({{"status", "FAILED"}, {"isCancelled", true}}).state ==
        JobState::kCancelled);
  CHECK_THROWS_AS(remote_status_from({{"status", "EXPLODED"}}), mlbox::Error);
}
