#include "cloud/gcp/vertex_backend.h"

#include "cloud/gcp/gcs_object_store.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "cloud/gcp/vertex_custom_job.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/strings.h"

namespace mlbox::cloud::gcp {

namespace fs = std::filesystem;

VertexBackend::VertexBackend(net::HttpClient& http, GoogleApi::TokenFn token, Observer& observer,
                             Options options)
    : api_(http, std::move(token), options.quota_project),
      observer_(observer),
      options_(std::move(options)) {
  if (!options_.catalog) options_.catalog = &catalog::builtin_machine_catalog();
}

jobs::JobSpec VertexBackend::completed(const jobs::JobSpec& spec) const {
  jobs::JobSpec s = spec;
  if (s.project.empty()) s.project = options_.project;
  if (s.region.empty()) s.region = options_.region;
  if (s.project.empty()) {
    throw Error(ErrorKind::kConfig, "no Google Cloud project for the Vertex AI job",
                "pass --project, set project in mlbox.yaml, or `gcloud config set project P` "
                "(CLOUDSDK_CORE_PROJECT)");
  }
  if (s.region.empty()) {
    throw Error(ErrorKind::kConfig, "no region for the Vertex AI job",
                "pass --region (e.g. us-central1)");
  }
  return s;
}

std::string VertexBackend::parent(const jobs::JobSpec& s) const {
  return fmt::format("projects/{}/locations/{}", s.project, s.region);
}

nlohmann::json VertexBackend::plan_requests(const jobs::JobSpec& spec) {
  jobs::JobSpec s = completed(spec);
  return nlohmann::json::array(
      {{{"method", "POST"},
        {"url", vertex_api_base(s.region, options_.env) + parent(s) + "/customJobs"},
        {"body", custom_job_body(s, *options_.catalog)}}});
}

jobs::SubmitResult VertexBackend::submit(const jobs::JobSpec& spec) {
  jobs::JobSpec s = completed(spec);
  // Exactly the planned request (what --dry-run prints) is sent.
  const nlohmann::json request = plan_requests(spec).at(0);
  const std::string url = request["url"];
  // Creating is not idempotent: retry only when the request cannot have arrived.
  net::RetryPolicy policy;
  policy.retry_statuses.clear();
  policy.retry_server_errors = false;
  policy.retry_failures = {net::TransportFailure::kConnect};
  nlohmann::json job = api_.call("POST", url, request["body"], policy);
  jobs::SubmitResult r;
  r.remote_id = job.value("name", "");
  if (r.remote_id.empty()) {
    throw Error(ErrorKind::kRemote, fmt::format("POST {}: the reply names no job", url));
  }
  r.console_url = vertex_console_url(r.remote_id);
  r.details = {{"remote_id", r.remote_id},
               {"project", s.project},
               {"region", s.region},
               {"output_uri", s.output_uri},
               {"state", job.value("state", "")}};
  observer_.info(fmt::format("created Vertex AI CustomJob {}", r.remote_id));
  return r;
}

std::string VertexBackend::remote_id(const jobs::JobRecord& job) const {
  std::string id = job.details.value("remote_id", "");
  if (id.empty()) {
    throw Error(ErrorKind::kInternal,
                fmt::format("job {} has no Vertex AI resource name in its record", job.id));
  }
  return id;
}

std::string VertexBackend::region_of(const jobs::JobRecord& job) const {
  std::string region = job.details.value("region", "");
  if (region.empty()) {
    auto parts = split(remote_id(job), '/');
    if (parts.size() >= 4) region = parts[3];
  }
  return region.empty() ? options_.region : region;
}

nlohmann::json VertexBackend::get_job(const std::string& name) {
  auto parts = split(name, '/');
  std::string region = parts.size() >= 4 ? parts[3] : options_.region;
  return api_.call("GET", vertex_api_base(region, options_.env) + name);
}

jobs::RemoteStatus VertexBackend::refresh(const jobs::JobRecord& job) {
  nlohmann::json j = get_job(remote_id(job));
  jobs::RemoteStatus st;
  std::string state = j.value("state", "JOB_STATE_UNSPECIFIED");
  st.state = job_state_from_vertex(state);
  if (j.contains("error") && j["error"].is_object()) {
    st.message = j["error"].value("message", "");
  }
  if (st.message.empty()) st.message = state;
  // Vertex reports no per-attempt history; restarts show in the logs (see read_logs).
  if (j.contains("startTime")) {
    jobs::Attempt a;
    a.number = 1;
    a.started_at = j.value("startTime", "");
    a.ended_at = j.value("endTime", "");
    if (jobs::is_terminal(st.state)) {
      a.outcome = st.state == jobs::JobState::kSucceeded   ? "succeeded"
                  : st.state == jobs::JobState::kCancelled ? "cancelled"
                                                           : "failed";
    }
    st.attempts.push_back(a);
  }
  return st;
}

void VertexBackend::cancel(const jobs::JobRecord& job, const jobs::CancelRequest& request) {
  jobs::refuse_preempt(request);
  std::string name = remote_id(job);
  api_.call("POST", vertex_api_base(region_of(job), options_.env) + name + ":cancel",
            nlohmann::json::object());
  observer_.info(fmt::format("asked Vertex AI to cancel {}", name));
}

std::vector<nlohmann::json> VertexBackend::list_jobs(const std::string& project,
                                                     const std::string& region) {
  std::vector<nlohmann::json> out;
  std::string page;
  do {
    std::string url = fmt::format("{}projects/{}/locations/{}/customJobs",
                                  vertex_api_base(region, options_.env), project, region);
    if (!page.empty()) url += "?pageToken=" + percent_encode(page);
    nlohmann::json j = api_.call("GET", url);
    for (const auto& cj : j.value("customJobs", nlohmann::json::array())) out.push_back(cj);
    page = j.value("nextPageToken", "");
  } while (!page.empty());
  return out;
}

std::string VertexBackend::read_logs(const jobs::JobRecord& job, const std::string& cursor,
                                     std::vector<jobs::LogLine>& out) {
  std::string name = remote_id(job);
  auto parts = split(name, '/');
  std::string project = parts.size() >= 2 ? parts[1] : options_.project;
  std::string job_id = parts.empty() ? name : parts.back();
  nlohmann::json state =
      cursor.empty() ? nlohmann::json::object() : nlohmann::json::parse(cursor, nullptr, false);
  if (!state.is_object()) state = nlohmann::json::object();
  std::string after = state.value("t", "");
  std::set<std::string> seen_at_t;
  for (const auto& id : state.value("ids", nlohmann::json::array()))
    seen_at_t.insert(id.get<std::string>());
  std::vector<std::string> vms;
  for (const auto& v : state.value("vms", nlohmann::json::array()))
    vms.push_back(v.get<std::string>());

  std::string filter =
      fmt::format("resource.type=\"ml_job\" AND resource.labels.job_id=\"{}\"", job_id);
  if (!after.empty()) filter += fmt::format(" AND timestamp>=\"{}\"", after);
  std::string page;
  do {
    nlohmann::json body = {{"resourceNames", {"projects/" + project}},
                           {"filter", filter},
                           {"orderBy", "timestamp asc"},
                           {"pageSize", 1000}};
    if (!page.empty()) body["pageToken"] = page;
    nlohmann::json j = api_.call("POST", logging_api_base(options_.env) + "entries:list", body);
    for (const auto& e : j.value("entries", nlohmann::json::array())) {
      std::string ts = e.value("timestamp", "");
      std::string id = e.value("insertId", "");
      if (ts == after && seen_at_t.count(id)) continue;
      if (ts != after) {
        after = ts;
        seen_at_t.clear();
      }
      seen_at_t.insert(id);
      // A restarted worker runs on a new VM: the chief's VM ids number the attempts.
      std::string vm;
      if (e.contains("labels") && e["labels"].is_object()) {
        vm = e["labels"].value("compute.googleapis.com/resource_id", "");
      }
      std::string task;
      if (e.contains("resource") && e["resource"].contains("labels")) {
        task = e["resource"]["labels"].value("task_name", "");
      }
      if (!vm.empty() && (task.empty() || task == "workerpool0-0") &&
          std::find(vms.begin(), vms.end(), vm) == vms.end()) {
        vms.push_back(vm);
      }
      jobs::LogLine line;
      line.timestamp = ts;
      line.attempt = std::max<int>(1, static_cast<int>(vms.size()));
      if (e.contains("textPayload") && e["textPayload"].is_string()) {
        line.text = e["textPayload"].get<std::string>();
      } else if (e.contains("jsonPayload") && e["jsonPayload"].is_object()) {
        line.text = e["jsonPayload"].value("message", e["jsonPayload"].dump());
      }
      if (!task.empty() && task != "workerpool0-0") line.text = "[" + task + "] " + line.text;
      while (!line.text.empty() && line.text.back() == '\n') line.text.pop_back();
      out.push_back(std::move(line));
    }
    page = j.value("nextPageToken", "");
  } while (!page.empty());
  nlohmann::json next = {{"t", after}, {"ids", seen_at_t}, {"vms", vms}};
  return next.dump();
}

namespace {

std::string output_uri_of(const jobs::JobRecord& job) {
  std::string output = job.details.value("output_uri", "");
  if (output.empty()) output = job.output_dir;
  if (output.empty()) {
    throw Error(ErrorKind::kConfig, fmt::format("job {} has no output location", job.id),
                "submit with --output gs://BUCKET/PREFIX");
  }
  return output;
}

}  // namespace

std::vector<fs::path> VertexBackend::fetch(const jobs::JobRecord& job, const fs::path& dir,
                                           bool checkpoints) {
  GcsClient gcs(api_, options_.env);
  return jobs::fetch_job_outputs(*gcs_object_store(gcs), output_uri_of(job), dir, checkpoints);
}

std::vector<fs::path> VertexBackend::fetch_metrics(const jobs::JobRecord& job,
                                                   const fs::path& dir) {
  GcsClient gcs(api_, options_.env);
  return jobs::fetch_job_metrics(*gcs_object_store(gcs), output_uri_of(job), dir);
}

namespace {

struct VertexResources {
  std::unique_ptr<net::HttpClient> http;
  std::unique_ptr<AdcCredentials> adc;
};

class OwningVertexBackend : private VertexResources, public VertexBackend {
 public:
  OwningVertexBackend(VertexResources res, Observer& observer, Options options)
      : VertexResources(std::move(res)),
        VertexBackend(
            *VertexResources::http, [a = adc.get()] { return a->access_token(); }, observer,
            std::move(options)) {}
};

}  // namespace

std::unique_ptr<jobs::JobBackend> make_vertex_backend(const config::Settings& settings,
                                                      Observer& observer) {
  net::TransportConfig transport = net::TransportConfig::for_cloud_api();
  VertexResources res;
  res.http = std::make_unique<net::HttpClient>(transport, observer);
  res.adc = AdcCredentials::for_process(transport, observer);
  VertexBackend::Options options;
  options.env = config::process_env();
  options.quota_project = [a = res.adc.get()] { return a->quota_project(); };
  options.project = settings.get("project");
  options.region = settings.get("region");
  return std::make_unique<OwningVertexBackend>(std::move(res), observer, std::move(options));
}

}  // namespace mlbox::cloud::gcp
