#include "cloud/gcp/vertex_custom_job.h"

#include <algorithm>

#include <fmt/format.h>

#include "util/error.h"
#include "util/strings.h"

namespace mlbox::cloud::gcp {

std::string vertex_accelerator_type(const catalog::MachineCatalog& catalog,
                                    std::string_view machine, std::string_view gpu, int count) {
  for (const auto* m : catalog.lookup(machine)) {
    if (m->cloud == "gcp" && m->gpu == gpu && m->gpu_count == count &&
        !m->accelerator_type.empty()) {
      return m->accelerator_type;
    }
  }
  std::vector<std::string> known;
  for (const auto& m : catalog.machines) {
    if (m.cloud != "gcp" || m.accelerator_type.empty()) continue;
    if (m.gpu == gpu) return m.accelerator_type;
    if (std::find(known.begin(), known.end(), m.gpu) == known.end()) known.push_back(m.gpu);
  }
  auto guess = did_you_mean(gpu, known);
  throw Error(ErrorKind::kConfig,
              fmt::format("GPU '{}' has no Vertex AI accelerator type in the machine catalog{}",
                          gpu, guess ? fmt::format(" (did you mean {}?)", *guess) : ""),
              fmt::format("use one of: {} (see `mlbox machines --cloud gcp`)", join(known, ", ")));
}

namespace {

nlohmann::json worker_pool(const jobs::JobSpec& spec, const std::string& accelerator,
                           int replicas) {
  nlohmann::json machine = {{"machineType", spec.machine}};
  if (!accelerator.empty()) {
    machine["acceleratorType"] = accelerator;
    machine["acceleratorCount"] = spec.gpu_count;
  }
  nlohmann::json container = {{"imageUri", spec.image_ref + "@" + spec.image_digest}};
  if (!spec.command.empty()) container["args"] = spec.command;
  if (!spec.env.empty()) {
    nlohmann::json env = nlohmann::json::array();
    for (const auto& [k, v] : spec.env) env.push_back({{"name", k}, {"value", v}});
    container["env"] = env;
  }
  // replicaCount is an int64: protobuf JSON writes it as a string.
  return {{"machineSpec", machine},
          {"replicaCount", std::to_string(replicas)},
          {"containerSpec", container}};
}

std::string strip_tag(const std::string& ref) {
  // "host:port/repo:tag" -> "host:port/repo": a tag is a ':' after the last '/'.
  auto slash = ref.rfind('/');
  auto colon = ref.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    return ref.substr(0, colon);
  }
  return ref;
}

}  // namespace

nlohmann::json custom_job_body(const jobs::JobSpec& spec, const catalog::MachineCatalog& catalog) {
  if (spec.image_digest.empty() || !starts_with(spec.image_digest, "sha256:")) {
    throw Error(ErrorKind::kConfig, "the job's image has no sha256 digest",
                "push the image first (mlbox push); Vertex runs images by digest");
  }
  if (spec.machine.empty()) {
    throw Error(ErrorKind::kConfig, "no machine type for the Vertex job",
                "pass --machine (see `mlbox machines --cloud gcp`)");
  }
  if (!spec.output_uri.empty() && !starts_with(spec.output_uri, "gs://")) {
    throw Error(ErrorKind::kConfig,
                fmt::format("output '{}' is not a gs:// URI; Vertex writes to Cloud Storage",
                            spec.output_uri),
                "pass --output gs://BUCKET/PREFIX");
  }
  std::string accelerator;
  if (!spec.gpu_type.empty() && spec.gpu_count > 0) {
    accelerator = vertex_accelerator_type(catalog, spec.machine, spec.gpu_type, spec.gpu_count);
  }
  jobs::JobSpec s = spec;
  s.image_ref = strip_tag(spec.image_ref);
  nlohmann::json pools = nlohmann::json::array();
  pools.push_back(worker_pool(s, accelerator, 1));
  if (spec.nodes > 1) pools.push_back(worker_pool(s, accelerator, spec.nodes - 1));
  nlohmann::json job_spec = {{"workerPoolSpecs", pools}};
  nlohmann::json scheduling = nlohmann::json::object();
  if (spec.max_runtime_seconds > 0) {
    scheduling["timeout"] = fmt::format("{}s", spec.max_runtime_seconds);
  }
  if (spec.spot) {
    scheduling["strategy"] = "SPOT";
    scheduling["restartJobOnWorkerRestart"] = true;
  }
  if (!scheduling.empty()) job_spec["scheduling"] = scheduling;
  if (!spec.service_account.empty()) job_spec["serviceAccount"] = spec.service_account;
  if (!spec.output_uri.empty()) {
    job_spec["baseOutputDirectory"] = {{"outputUriPrefix", spec.output_uri}};
  }
  nlohmann::json body = {{"displayName", spec.name}, {"jobSpec", job_spec}};
  if (!spec.labels.empty()) body["labels"] = spec.labels;
  return body;
}

std::string vertex_api_base(std::string_view region, const config::EnvGetter& env) {
  std::string base;
  if (auto o = env ? env("CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM") : std::nullopt;
      o && !o->empty()) {
    base = *o;
  } else {
    base = fmt::format("https://{}-aiplatform.googleapis.com/", region);
  }
  if (!ends_with(base, "/")) base += "/";
  if (!ends_with(base, "/v1/")) base += "v1/";
  return base;
}

std::string logging_api_base(const config::EnvGetter& env) {
  std::string base = "https://logging.googleapis.com/";
  if (auto o = env ? env("CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING") : std::nullopt;
      o && !o->empty()) {
    base = *o;
  }
  if (!ends_with(base, "/")) base += "/";
  if (!ends_with(base, "/v2/")) base += "v2/";
  return base;
}

jobs::JobState job_state_from_vertex(std::string_view s) {
  using jobs::JobState;
  if (s == "JOB_STATE_QUEUED" || s == "JOB_STATE_PAUSED") return JobState::kQueued;
  if (s == "JOB_STATE_PENDING") return JobState::kStarting;
  if (s == "JOB_STATE_SUCCEEDED") return JobState::kSucceeded;
  if (s == "JOB_STATE_FAILED" || s == "JOB_STATE_EXPIRED" || s == "JOB_STATE_PARTIALLY_SUCCEEDED") {
    return JobState::kFailed;
  }
  if (s == "JOB_STATE_CANCELLED") return JobState::kCancelled;
  return JobState::kRunning;
}

std::string vertex_console_url(std::string_view name) {
  // projects/P/locations/R/customJobs/ID
  auto parts = split(name, '/');
  if (parts.size() != 6) return {};
  return fmt::format(
      "https://console.cloud.google.com/vertex-ai/locations/{}/training/{}/cpu?project={}",
      parts[3], parts[5], parts[1]);
}

}  // namespace mlbox::cloud::gcp
