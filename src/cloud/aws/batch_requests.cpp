#include "cloud/aws/batch_requests.h"

#include <cmath>
#include <cstdint>
#include <ctime>

#include <fmt/format.h>

#include "util/error.h"
#include "util/utc_time.h"

namespace mlbox::cloud::aws {

std::string batch_name(const std::string& name) {
  std::string out = "mlbox-";
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    out += ok ? c : '-';
  }
  if (out.size() > 128) out.resize(128);
  return out;
}

namespace {

// "host:5000/repo:tag" + "sha256:..." -> "host:5000/repo@sha256:..."
std::string pinned_image(const jobs::JobSpec& spec) {
  if (spec.image_digest.empty()) {
    throw Error(ErrorKind::kUsage,
                "the image " + spec.image_ref + " has no digest: Batch jobs run pinned images",
                "push the image first (mlbox push)");
  }
  std::string repo = spec.image_ref;
  auto at = repo.find('@');
  if (at != std::string::npos) repo.resize(at);
  auto colon = repo.rfind(':');
  auto slash = repo.rfind('/');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    repo.resize(colon);
  }
  return repo + "@" + spec.image_digest;
}

nlohmann::json container_properties(const jobs::JobSpec& spec, const catalog::Machine& machine) {
  nlohmann::json c;
  c["image"] = pinned_image(spec);
  if (!spec.command.empty()) c["command"] = spec.command;
  // The ECS agent and the OS keep part of the instance's memory: a job asking for all of it
  // would stay RUNNABLE forever. 90% fits every instance type of the catalog.
  int memory_mib = static_cast<int>(std::floor(machine.memory_gib * 1024 * 0.9));
  nlohmann::json rr = nlohmann::json::array();
  rr.push_back({{"type", "VCPU"}, {"value", std::to_string(machine.vcpu)}});
  rr.push_back({{"type", "MEMORY"}, {"value", std::to_string(memory_mib)}});
  int gpus = spec.gpu_count > 0 ? spec.gpu_count : machine.gpu_count;
  if (gpus > 0) rr.push_back({{"type", "GPU"}, {"value", std::to_string(gpus)}});
  c["resourceRequirements"] = rr;
  // Only what every job of this shape shares: per-job values (output dirs, data sources,
  // --env) travel in SubmitJob's overrides, so one definition serves every submit.
  c["environment"] = nlohmann::json::array({{{"name", "MLBOX_PLATFORM"}, {"value", "aws-batch"}}});
  if (!spec.job_role_arn.empty()) c["jobRoleArn"] = spec.job_role_arn;
  c["logConfiguration"] = {
      {"logDriver", "awslogs"},
      {"options", {{"awslogs-group", kBatchLogGroup}, {"awslogs-stream-prefix", "mlbox"}}}};
  return c;
}

}  // namespace

nlohmann::json job_definition_request(const jobs::JobSpec& spec, const catalog::Machine& machine) {
  nlohmann::json d;
  // One definition per project (the job name carries the job's id suffix).
  auto project = spec.labels.find("mlbox-project");
  d["jobDefinitionName"] = batch_name(project != spec.labels.end() ? project->second : spec.name);
  nlohmann::json container = container_properties(spec, machine);
  if (spec.nodes > 1) {
    d["type"] = "multinode";
    container["instanceType"] = machine.name;
    d["nodeProperties"] = {
        {"numNodes", spec.nodes},
        {"mainNode", 0},
        {"nodeRangeProperties",
         nlohmann::json::array({{{"targetNodes", "0:"}, {"container", container}}})}};
  } else {
    d["type"] = "container";
    d["containerProperties"] = container;
  }
  d["platformCapabilities"] = {"EC2"};
  // The job's own id is a tag of the job, not of the definition it shares.
  std::map<std::string, std::string> tags = spec.labels;
  tags.erase("mlbox-job");
  if (!tags.empty()) d["tags"] = tags;
  return d;
}

nlohmann::json job_environment(const jobs::JobSpec& spec) {
  std::map<std::string, std::string> env = spec.env;
  if (!spec.output_uri.empty()) {
    env["MLBOX_MODEL_DIR"] = spec.output_uri + "/model";
    env["MLBOX_CHECKPOINT_DIR"] = spec.output_uri + "/checkpoints";
    env["MLBOX_TENSORBOARD_DIR"] = spec.output_uri + "/tensorboard";
  }
  // The trainer's S3 client needs the bucket's region inside the container.
  if (!spec.region.empty() && !env.count("AWS_REGION")) env["AWS_REGION"] = spec.region;
  nlohmann::json e = nlohmann::json::array();
  for (const auto& [k, v] : env) e.push_back({{"name", k}, {"value", v}});
  return e;
}

nlohmann::json submit_job_request(const jobs::JobSpec& spec, const std::string& job_definition) {
  if (spec.job_queue.empty()) {
    throw Error(ErrorKind::kConfig, "no AWS Batch job queue to submit to",
                "name one with --job-queue, or aws.job_queue in mlbox.yaml");
  }
  nlohmann::json s;
  s["jobName"] = batch_name(spec.name);
  s["jobQueue"] = spec.job_queue;
  s["jobDefinition"] = job_definition;
  // A spot reclaim or host failure ends the attempt with "Host EC2 (instance i-...)
  // terminated." and is retried (the trainer resumes from its last checkpoint); a failure
  // of the training itself is final.
  s["retryStrategy"] = {
      {"attempts", 3},
      {"evaluateOnExit",
       nlohmann::json::array({{{"onStatusReason", "Host EC2*"}, {"action", "RETRY"}},
                              {{"onReason", "*"}, {"action", "EXIT"}}})}};
  if (spec.max_runtime_seconds > 0) {
    // Batch's minimum attempt duration is 60 seconds.
    s["timeout"] = {{"attemptDurationSeconds", std::max<int64_t>(60, spec.max_runtime_seconds)}};
  }
  nlohmann::json env = job_environment(spec);
  if (!env.empty()) {
    if (spec.nodes > 1) {
      s["nodeOverrides"] = {
          {"nodePropertyOverrides",
           nlohmann::json::array(
               {{{"targetNodes", "0:"}, {"containerOverrides", {{"environment", env}}}}})}};
    } else {
      s["containerOverrides"] = {{"environment", env}};
    }
  }
  if (!spec.labels.empty()) s["tags"] = spec.labels;
  // An array job (a sweep's trials): Batch runs `size` children, each with
  // AWS_BATCH_JOB_ARRAY_INDEX 0..size-1. Its size is 2..10000.
  if (spec.array_size > 0) {
    if (spec.array_size < 2 || spec.array_size > 10000) {
      throw Error(
          ErrorKind::kConfig,
          fmt::format("an AWS Batch array job has 2 to 10000 children, not {}", spec.array_size),
          "sweep over 2 to 10000 trials");
    }
    if (spec.nodes > 1) {
      throw Error(ErrorKind::kConfig, "an AWS Batch array job cannot be multi-node",
                  "sweep with nodes: 1");
    }
    s["arrayProperties"] = {{"size", spec.array_size}};
  }
  return s;
}

namespace {

// Everything `wanted` says holds in `have`: objects by key (extra keys in `have` are AWS
// defaults), arrays element by element, scalars equal.
bool covers(const nlohmann::json& have, const nlohmann::json& wanted) {
  if (wanted.is_object()) {
    if (!have.is_object()) return false;
    for (auto it = wanted.begin(); it != wanted.end(); ++it) {
      if (!have.contains(it.key()) || !covers(have[it.key()], it.value())) return false;
    }
    return true;
  }
  if (wanted.is_array()) {
    if (!have.is_array() || have.size() != wanted.size()) return false;
    for (size_t i = 0; i < wanted.size(); ++i) {
      if (!covers(have[i], wanted[i])) return false;
    }
    return true;
  }
  return have == wanted;
}

}  // namespace

bool job_definition_matches(const nlohmann::json& existing, const nlohmann::json& wanted) {
  if (existing.value("status", "ACTIVE") != "ACTIVE") return false;
  for (auto it = wanted.begin(); it != wanted.end(); ++it) {
    if (it.key() == "tags") continue;  // tags do not change what runs
    if (!existing.contains(it.key()) || !covers(existing[it.key()], it.value())) return false;
  }
  // A definition with settings mlbox does not send (retryStrategy, timeout, ...) is not ours.
  for (const char* key : {"retryStrategy", "timeout", "parameters"}) {
    if (existing.contains(key) && !existing[key].empty() && !wanted.contains(key)) return false;
  }
  return true;
}

namespace {

bool is_host_termination(const std::string& reason) {
  return reason.rfind("Host EC2", 0) == 0;
}

// Typed reads of an AWS answer that fall back to `fallback` when the answer is not an object
// or the field has another type: a malformed answer is a missing field, not a type_error.
const nlohmann::json* field(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}
std::string string_at(const nlohmann::json& j, const char* key, const char* fallback = "") {
  const auto* f = field(j, key);
  return f && f->is_string() ? f->get<std::string>() : fallback;
}
bool bool_at(const nlohmann::json& j, const char* key) {
  const auto* f = field(j, key);
  return f && f->is_boolean() && f->get<bool>();
}
nlohmann::json json_at(const nlohmann::json& j, const char* key, nlohmann::json fallback) {
  const auto* f = field(j, key);
  return f && f->type() == fallback.type() ? *f : fallback;
}

int64_t ms_of(const nlohmann::json& j, const char* key) {
  const auto* f = field(j, key);
  if (!f) return 0;
  if (f->is_number_integer()) return f->get<int64_t>();
  // A double outside int64 would make the conversion undefined.
  if (f->is_number_float() && std::abs(f->get<double>()) < 9.0e18)
    return static_cast<int64_t>(f->get<double>());
  return 0;
}

}  // namespace

jobs::RemoteStatus remote_status_from(const nlohmann::json& job) {
  jobs::RemoteStatus s;
  std::string status = string_at(job, "status");
  s.message = string_at(job, "statusReason");
  const nlohmann::json attempts = json_at(job, "attempts", nlohmann::json::array());
  for (size_t i = 0; i < attempts.size(); ++i) {
    const auto& a = attempts[i];
    jobs::Attempt at;
    at.number = static_cast<int>(i) + 1;
    if (ms_of(a, "startedAt")) at.started_at = format_rfc3339(ms_of(a, "startedAt") / 1000);
    if (ms_of(a, "stoppedAt")) at.ended_at = format_rfc3339(ms_of(a, "stoppedAt") / 1000);
    const nlohmann::json c = json_at(a, "container", nlohmann::json::object());
    if (const auto* code = field(c, "exitCode"); code && code->is_number_integer() &&
                                                 code->get<int64_t>() >= INT32_MIN &&
                                                 code->get<int64_t>() <= INT32_MAX) {
      at.exit_code = static_cast<int>(code->get<int64_t>());
    }
    std::string reason = string_at(a, "statusReason");
    if (is_host_termination(reason)) {
      at.outcome = "preempted";
    } else if (at.exit_code && *at.exit_code == 0) {
      at.outcome = "succeeded";
    } else if (bool_at(job, "isCancelled") || bool_at(job, "isTerminated")) {
      at.outcome = "cancelled";
    } else {
      at.outcome = "failed";
    }
    s.attempts.push_back(at);
  }
  // The attempt in progress is not in `attempts` until it stops.
  if (status == "RUNNING" || status == "STARTING") {
    jobs::Attempt at;
    at.number = static_cast<int>(attempts.size()) + 1;
    if (ms_of(job, "startedAt")) at.started_at = format_rfc3339(ms_of(job, "startedAt") / 1000);
    s.attempts.push_back(at);
  }
  bool last_preempted = !s.attempts.empty() && s.attempts.back().outcome == "preempted";
  if (status == "SUBMITTED") {
    s.state = jobs::JobState::kSubmitted;
  } else if (status == "PENDING" || status == "RUNNABLE") {
    s.state = last_preempted ? jobs::JobState::kRetrying : jobs::JobState::kQueued;
  } else if (status == "STARTING") {
    s.state = jobs::JobState::kStarting;
  } else if (status == "RUNNING") {
    s.state = jobs::JobState::kRunning;
  } else if (status == "SUCCEEDED") {
    s.state = jobs::JobState::kSucceeded;
  } else if (status == "FAILED") {
    s.state = bool_at(job, "isCancelled") || bool_at(job, "isTerminated")
                  ? jobs::JobState::kCancelled
                  : jobs::JobState::kFailed;
  } else {
    throw Error(ErrorKind::kRemote,
                fmt::format("AWS Batch reported an unknown job status '{}' for {}", status,
                            string_at(job, "jobId", "?")));
  }
  return s;
}

std::vector<std::string> log_streams_of(const nlohmann::json& job) {
  std::vector<std::string> out;
  for (const auto& a : json_at(job, "attempts", nlohmann::json::array())) {
    std::string s = string_at(json_at(a, "container", nlohmann::json::object()), "logStreamName");
    if (!s.empty()) out.push_back(s);
  }
  std::string status = string_at(job, "status");
  if (status == "RUNNING" || status == "STARTING") {
    std::string s = string_at(json_at(job, "container", nlohmann::json::object()), "logStreamName");
    if (!s.empty() && (out.empty() || out.back() != s)) out.push_back(s);
  }
  return out;
}

}  // namespace mlbox::cloud::aws
