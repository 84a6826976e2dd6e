#include "cloud/gcp/vertex_sweep.h"

#include <unistd.h>

#include <fmt/format.h>

#include "cloud/gcp/gcs_client.h"
#include "cloud/gcp/gcs_object_store.h"
#include "cloud/gcp/vertex_custom_job.h"
#include "cloud/gcp/vertex_tuning_job.h"
#include "jobs/job_control.h"
#include "jobs/spec_builder.h"
#include "sweep/trial_metric.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/numbers.h"
#include "util/strings.h"
#include "util/utc_time.h"

namespace mlbox::cloud::gcp {

namespace stdfs = std::filesystem;

namespace {

VertexBackend& as_vertex(jobs::JobBackend& b) {
  auto* v = dynamic_cast<VertexBackend*>(&b);
  if (!v) throw Error(ErrorKind::kInternal, "the vertex backend is not a VertexBackend");
  return *v;
}

// Creating is not idempotent: retry only when the request cannot have arrived.
net::RetryPolicy create_policy() {
  net::RetryPolicy policy;
  policy.retry_statuses.clear();
  policy.retry_server_errors = false;
  policy.retry_failures = {net::TransportFailure::kConnect};
  return policy;
}

std::string read_object(jobs::ObjectStore& store, const std::string& uri) {
  auto b = jobs::parse_bucket_uri(uri);
  if (!store.stat(b.bucket, b.key)) return {};
  stdfs::path tmp = stdfs::temp_directory_path() /
                    fmt::format("mlbox-vsweep-{}-{}", static_cast<long>(::getpid()),
                                stdfs::path(b.key).filename().string());
  store.get_file(b.bucket, b.key, tmp);
  std::string text = fs::read_file(tmp);
  std::error_code ec;
  stdfs::remove(tmp, ec);
  return text;
}

}  // namespace

VertexSweepEngine::VertexSweepEngine(std::unique_ptr<jobs::JobBackend> vertex, Observer& observer)
    : owned_(std::move(vertex)), vertex_(as_vertex(*owned_)), observer_(observer) {}

std::string VertexSweepEngine::api_base(const sweep::SweepRecord& record) const {
  std::string region = record.details.value("region", "");
  if (region.empty()) region = vertex_.options().region;
  return vertex_api_base(region, vertex_.options().env);
}

nlohmann::json VertexSweepEngine::plan_requests(const sweep::SweepRecord& record,
                                                const jobs::JobSpec& base) {
  jobs::JobSpec s = vertex_.complete(base);
  const auto* catalog =
      vertex_.options().catalog ? vertex_.options().catalog : &catalog::builtin_machine_catalog();
  return nlohmann::json::array(
      {{{"method", "POST"},
        {"url",
         vertex_api_base(s.region, vertex_.options().env) +
             fmt::format("projects/{}/locations/{}/hyperparameterTuningJobs", s.project, s.region)},
        {"body", tuning_job_body(record, s, *catalog)}}});
}

void VertexSweepEngine::submit(sweep::SweepRecord& record, const jobs::JobSpec& base) {
  if (!record.output.starts_with("gs://")) {
    throw Error(ErrorKind::kConfig, "a Vertex sweep's output is " + record.output,
                "a gs://BUCKET/PREFIX (targets.vertex.output or --output)");
  }
  jobs::JobSpec s = vertex_.complete(base);
  const nlohmann::json request = plan_requests(record, base).at(0);
  const std::string url = request["url"];
  nlohmann::json job = vertex_.api().call("POST", url, request["body"], create_policy());
  record.remote_id = job.value("name", "");
  if (record.remote_id.empty()) {
    throw Error(ErrorKind::kRemote, fmt::format("POST {}: the reply names no job", url));
  }
  record.details["region"] = s.region;
  record.details["project"] = s.project;
  record.details["console_url"] = vertex_console_url(record.remote_id);
  for (auto& t : record.trials) t.state = "QUEUED";
  observer_.info("created Vertex AI HyperparameterTuningJob " + record.remote_id);
}

void VertexSweepEngine::refresh(sweep::SweepRecord& record) {
  if (record.remote_id.empty()) return;
  nlohmann::json job = vertex_.api().call("GET", api_base(record) + record.remote_id);
  const std::string job_state = job.value("state", "");
  const jobs::JobSpec spec =
      jobs::JobSpec::from_json(record.details.value("spec", nlohmann::json::object()));
  std::unique_ptr<jobs::ObjectStore> gcs_store;
  std::unique_ptr<GcsClient> gcs;
  for (const auto& vt : job.value("trials", nlohmann::json::array())) {
    // Vertex numbers its trials 1, 2, ...: trial N is the record's trial-00N.
    auto id = parse_u64(vt.value("id", ""));
    if (!id || *id < 1 || *id > record.trials.size()) continue;
    sweep::TrialRecord& t = record.trials[*id - 1];
    if (t.state == "CANCELLED") continue;  // cancelled here: its CustomJob's end says FAILED
    apply_vertex_trial(vt, record.spec.metric, t);
    t.output = record.output + "/" + t.job_id;
    record.details["custom_jobs"][t.id] = vt.value("customJob", "");
    if (!spec.machine.empty() && !t.started_at.empty()) {
      t.cost = jobs::estimated_cost(spec, "vertex", t.duration_seconds() / 3600.0);
    }
    // A trial that ended without the metric: which names did it report?
    if (sweep::is_terminal_trial_state(t.state) && !t.metric && t.metric_names.empty()) {
      if (!gcs) {
        gcs = std::make_unique<GcsClient>(vertex_.api(), vertex_.options().env);
        gcs_store = gcs_object_store(*gcs);
      }
      auto m = sweep::metric_from_texts(read_object(*gcs_store, t.output + "/metrics.jsonl"),
                                        read_object(*gcs_store, t.output + "/history.json"),
                                        record.spec.metric);
      t.metric_names = m.names_seen;
    }
  }
  const bool ended = job_state == "JOB_STATE_SUCCEEDED" || job_state == "JOB_STATE_FAILED" ||
                     job_state == "JOB_STATE_CANCELLED";
  if (ended) {
    // Trials the service never started (cancelled, or max failed reached) end with the job.
    for (auto& t : record.trials) {
      if (sweep::is_terminal_trial_state(t.state)) continue;
      t.state = job_state == "JOB_STATE_CANCELLED" ? "CANCELLED" : "FAILED";
      if (t.message.empty()) t.message = "the tuning job ended " + job_state.substr(10);
    }
  }
  record.state = sweep::overall_state(record);
}

void VertexSweepEngine::cancel(sweep::SweepRecord& record, const std::string& trial) {
  if (trial.empty()) {
    vertex_.api().call("POST", api_base(record) + record.remote_id + ":cancel",
                       nlohmann::json::object());
    observer_.info("asked Vertex AI to cancel " + record.remote_id);
    // Trials that have not ended end here (the service stops them; its INFEASIBLE for a
    // stopped trial would read as a failure).
    for (auto& t : record.trials) {
      if (sweep::is_terminal_trial_state(t.state)) continue;
      t.state = "CANCELLED";
      t.message = "cancelled with mlbox sweep cancel";
      t.ended_at = utc_now_rfc3339();
    }
    return;
  }
  refresh(record);
  sweep::TrialRecord& t = record.trial(trial);
  std::string custom =
      record.details.value("custom_jobs", nlohmann::json::object()).value(t.id, "");
  if (custom.empty()) {
    throw Error(ErrorKind::kUsage, record.id + " " + t.id + " has not started on Vertex AI yet",
                "cancel the whole sweep (mlbox sweep cancel " + record.id + "), or wait");
  }
  vertex_.api().call("POST", api_base(record) + custom + ":cancel", nlohmann::json::object());
  t.state = "CANCELLED";
  t.message = "cancelled with mlbox sweep cancel";
  t.ended_at = utc_now_rfc3339();
  observer_.info("asked Vertex AI to cancel " + custom);
}

jobs::JobRecord VertexSweepEngine::trial_job(const sweep::SweepRecord& record,
                                             const sweep::TrialRecord& trial) const {
  jobs::JobRecord r;
  r.id = record.id + "/" + trial.id;
  r.backend = "vertex";
  r.output_dir = trial.output;
  r.details = {{"remote_id",
                record.details.value("custom_jobs", nlohmann::json::object()).value(trial.id, "")},
               {"region", record.details.value("region", "")},
               {"project", record.details.value("project", "")},
               {"output_uri", trial.output}};
  return r;
}

std::vector<stdfs::path> VertexSweepEngine::fetch(const sweep::SweepRecord& record,
                                                  const sweep::TrialRecord& trial,
                                                  const stdfs::path& dir) {
  if (trial.output.empty()) {
    throw Error(ErrorKind::kUsage, record.id + " " + trial.id + " has not run yet");
  }
  return vertex_.fetch(trial_job(record, trial), dir, false);
}

std::vector<jobs::LogLine> VertexSweepEngine::logs(const sweep::SweepRecord& record,
                                                   const sweep::TrialRecord& trial) {
  jobs::JobRecord r = trial_job(record, trial);
  if (r.details.value("remote_id", "").empty()) return {};
  return jobs::read_all_logs(vertex_, r);
}

std::unique_ptr<sweep::SweepEngine> make_vertex_sweep_engine(const config::Settings& settings,
                                                             Observer& observer) {
  return std::make_unique<VertexSweepEngine>(make_vertex_backend(settings, observer), observer);
}

}  // namespace mlbox::cloud::gcp
