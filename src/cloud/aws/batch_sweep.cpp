#include "cloud/aws/batch_sweep.h"

#include <unistd.h>

#include <ctime>

#include <fmt/format.h>

#include "cloud/aws/batch_requests.h"
#include "cloud/aws/s3_object_store.h"
#include "jobs/job_control.h"
#include "jobs/spec_builder.h"
#include "sweep/trial_delivery.h"
#include "sweep/trial_metric.h"
#include "sweep/trial_scheduler.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/utc_time.h"

namespace mlbox::cloud::aws {

namespace stdfs = std::filesystem;

namespace {

std::string plan_uri_of(const sweep::SweepRecord& record) {
  return record.output + "/plan.json";
}

std::string plan_text(const sweep::SweepRecord& record) {
  std::vector<sweep::TrialValues> values;
  for (const auto& t : record.trials) values.push_back(t.values);
  return sweep::plan_json(record.id, record.spec.metric, record.spec.params, record.output, values,
                          record.spec.maximize, record.spec.early_stopping)
             .dump(2) +
         "\n";
}

// A small object of the bucket as text; empty when it is not there.
std::string read_object(jobs::ObjectStore& store, const std::string& uri) {
  auto b = jobs::parse_bucket_uri(uri);
  if (!store.stat(b.bucket, b.key)) return {};
  stdfs::path tmp =
      stdfs::temp_directory_path() / fmt::format("mlbox-sweep-{}-{}", static_cast<long>(::getpid()),
                                                 stdfs::path(b.key).filename().string());
  store.get_file(b.bucket, b.key, tmp);
  std::string text = fs::read_file(tmp);
  std::error_code ec;
  stdfs::remove(tmp, ec);
  return text;
}

}  // namespace

jobs::JobSpec array_job_spec(const sweep::SweepRecord& record, const jobs::JobSpec& base,
                             const std::string& plan_uri) {
  jobs::JobSpec spec = base;
  spec.name = record.name + "-" + record.id;
  spec.env[sweep::kPlanEnv] = plan_uri;
  if (record.trials.size() == 1) {
    spec.env[sweep::kArrayIndexEnv] = "0";  // one trial is a plain job, not an array
  } else {
    spec.array_size = static_cast<int>(record.trials.size());
  }
  spec.labels["mlbox-sweep"] = record.id;
  return spec;
}

jobs::JobRecord child_job_record(const sweep::SweepRecord& record,
                                 const sweep::TrialRecord& trial) {
  jobs::JobRecord r;
  r.id = record.id + "/" + trial.id;
  r.name = record.name + "-" + trial.id;
  r.backend = "aws-batch";
  r.output_dir = trial.output;
  r.details = {{"remote_id", trial.job_id},
               {"region", record.details.value("region", "")},
               {"log_group", record.details.value("log_group", kBatchLogGroup)}};
  return r;
}

BatchSweepEngine::BatchSweepEngine(const config::Settings& settings, Observer& observer)
    : observer_(observer) {
  try {
    region_ = settings.get("region");
  } catch (const Error&) {
  }
  backend_ = std::make_unique<BatchBackend>(config::process_env(), region_, observer);
}

std::string BatchSweepEngine::region_of(const sweep::SweepRecord& record) const {
  std::string r = record.details.value("region", "");
  return r.empty() ? region_ : r;
}

std::unique_ptr<jobs::ObjectStore> BatchSweepEngine::store(const sweep::SweepRecord& record) {
  return make_s3_object_store(config::process_env(), region_of(record), observer_);
}

nlohmann::json BatchSweepEngine::plan_requests(const sweep::SweepRecord& record,
                                               const jobs::JobSpec& base) {
  nlohmann::json plan = nlohmann::json::array();
  plan.push_back({{"method", "PUT"},
                  {"url", plan_uri_of(record)},
                  {"body", nlohmann::json::parse(plan_text(record))},
                  {"note", "the sweep's plan: child i runs trials[i]"}});
  for (auto& r : backend_->plan_requests(array_job_spec(record, base, plan_uri_of(record))))
    plan.push_back(r);
  return plan;
}

void BatchSweepEngine::submit(sweep::SweepRecord& record, const jobs::JobSpec& base) {
  if (!record.output.starts_with("s3://")) {
    throw Error(ErrorKind::kConfig, "a Batch sweep's output is " + record.output,
                "an s3://BUCKET/PREFIX (targets.batch.output or --output)");
  }
  auto s3 = store(record);
  auto b = jobs::parse_bucket_uri(plan_uri_of(record));
  s3->put_bytes(b.bucket, b.key, plan_text(record), "application/json");
  jobs::SubmitResult r = backend_->submit(array_job_spec(record, base, plan_uri_of(record)));
  record.remote_id = r.remote_id;
  record.details["region"] = r.details.value("region", region_);
  record.details["log_group"] = r.details.value("log_group", kBatchLogGroup);
  record.details["job_definition"] = r.details.value("job_definition", "");
  record.details["console_url"] = r.console_url;
  for (auto& t : record.trials) {
    t.job_id =
        record.trials.size() == 1 ? r.remote_id : fmt::format("{}:{}", r.remote_id, t.index - 1);
    t.state = "SUBMITTED";
  }
}

void BatchSweepEngine::refresh(sweep::SweepRecord& record) {
  std::unique_ptr<jobs::ObjectStore> s3;
  const nlohmann::json spec_json = record.details.value("spec", nlohmann::json::object());
  const jobs::JobSpec spec = jobs::JobSpec::from_json(spec_json);
  // One DescribeJobs for up to 100 children, not one per child.
  std::vector<sweep::TrialRecord*> live;
  std::vector<jobs::JobRecord> children;
  for (auto& t : record.trials) {
    if (t.job_id.empty() || sweep::is_terminal_trial_state(t.state)) continue;
    live.push_back(&t);
    children.push_back(child_job_record(record, t));
  }
  std::vector<jobs::RemoteStatus> statuses =
      children.empty() ? std::vector<jobs::RemoteStatus>{} : backend_->refresh_many(children);
  for (size_t i = 0; i < live.size(); ++i) {
    sweep::TrialRecord& t = *live[i];
    const jobs::RemoteStatus& st = statuses[i];
    std::string state = jobs::to_string(st.state);
    if (!st.attempts.empty()) t.started_at = st.attempts.front().started_at;
    bool ended = jobs::is_terminal(st.state);
    if (ended) {
      t.ended_at = st.attempts.empty() ? utc_now_rfc3339() : st.attempts.back().ended_at;
      if (st.state != jobs::JobState::kSucceeded) t.message = st.message;
    }
    // Metrics move while a child runs (the trainer uploads them live) and once at its end.
    if (st.state == jobs::JobState::kRunning || ended) {
      if (!s3) s3 = store(record);
      sweep::TrialMetric m = sweep::metric_from_texts(read_object(*s3, t.output + "/metrics.jsonl"),
                                                      read_object(*s3, t.output + "/history.json"),
                                                      record.spec.metric);
      t.metric = m.value;
      t.metric_names = m.names_seen;
    }
    // A child that stopped itself early (trainer/peer_stopping.h) exits 0: Batch says
    // SUCCEEDED, the trainer's summary.json says why it stopped.
    if (st.state == jobs::JobState::kSucceeded) {
      auto summary =
          nlohmann::json::parse(read_object(*s3, t.output + "/summary.json"), nullptr, false);
      if (summary.is_object() && summary.value("outcome", "") == "stopped") {
        state = "STOPPED";
        t.message = "stopped early: " + summary.value("stop_reason", "");
      }
    }
    double seconds = 0;
    for (const auto& a : st.attempts) {
      int64_t s = parse_rfc3339(a.started_at);
      int64_t e =
          a.ended_at.empty() ? static_cast<int64_t>(std::time(nullptr)) : parse_rfc3339(a.ended_at);
      if (s > 0 && e >= s) seconds += static_cast<double>(e - s);
    }
    if (!spec.machine.empty()) t.cost = jobs::estimated_cost(spec, "batch", seconds / 3600.0);
    t.state = state;
  }
  record.state = sweep::overall_state(record);
}

void BatchSweepEngine::cancel(sweep::SweepRecord& record, const std::string& trial) {
  for (auto& t : record.trials) {
    if (!trial.empty() && t.id != trial && t.job_id != trial) continue;
    if (t.job_id.empty() || sweep::is_terminal_trial_state(t.state)) continue;
    backend_->cancel(child_job_record(record, t), {});
    t.state = "CANCELLED";
    t.message = "cancelled with mlbox sweep cancel";
    t.ended_at = utc_now_rfc3339();
  }
}

std::vector<stdfs::path> BatchSweepEngine::fetch(const sweep::SweepRecord& record,
                                                 const sweep::TrialRecord& trial,
                                                 const stdfs::path& dir) {
  auto s3 = store(record);
  return jobs::fetch_job_outputs(*s3, trial.output, dir, false);
}

std::vector<jobs::LogLine> BatchSweepEngine::logs(const sweep::SweepRecord& record,
                                                  const sweep::TrialRecord& trial) {
  if (trial.job_id.empty()) return {};
  return jobs::read_all_logs(*backend_, child_job_record(record, trial));
}

}  // namespace mlbox::cloud::aws
