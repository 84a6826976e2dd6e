#include "cloud/aws/batch_backend.h"

#include <algorithm>
#include <map>

#include "cloud/aws/s3_object_store.h"

#include <fmt/format.h>

#include "cloud/aws/batch_requests.h"
#include "cloud/aws/s3_client.h"
#include "util/redact.h"
#include "util/utc_time.h"

namespace mlbox::cloud::aws {

namespace stdfs = std::filesystem;

BatchBackend::BatchBackend(config::EnvGetter env, std::string region, Observer& observer,
                           const catalog::MachineCatalog& catalog)
    : region_(std::move(region)),
      observer_(observer),
      catalog_(catalog),
      http_(std::make_unique<net::HttpClient>(net::TransportConfig::for_cloud_api(), observer)),
      chain_(*http_, std::move(env)) {}

BatchBackend::~BatchBackend() = default;

std::string BatchBackend::region_for(const jobs::JobSpec& spec) const {
  if (!spec.region.empty()) return spec.region;
  if (!region_.empty()) return region_;
  return chain_.config().require_region();
}

std::string BatchBackend::job_region(const jobs::JobRecord& job) const {
  std::string r = job.details.value("region", "");
  if (!r.empty()) return r;
  return region_.empty() ? chain_.config().require_region() : region_;
}

AwsClient BatchBackend::batch(const std::string& region) {
  return AwsClient(
      *http_, batch_service(), [this] { return chain_.credentials(); }, region,
      chain_.config().endpoint(batch_service(), region));
}

AwsClient BatchBackend::logs(const std::string& region) {
  return AwsClient(
      *http_, logs_service(), [this] { return chain_.credentials(); }, region,
      chain_.config().endpoint(logs_service(), region));
}

const catalog::Machine& BatchBackend::machine_for(const jobs::JobSpec& spec) const {
  if (spec.machine.empty()) {
    throw Error(ErrorKind::kConfig, "no machine type for the Batch job",
                "name one with --machine (mlbox machines --cloud aws lists them)");
  }
  const catalog::Machine& m =
      catalog::find_machine(catalog_, spec.machine, spec.gpu_type, spec.gpu_count);
  if (m.cloud != "aws") {
    throw Error(ErrorKind::kConfig,
                fmt::format("machine '{}' is a {} machine, not an AWS one", m.name, m.cloud),
                "pick an EC2 instance type (mlbox machines --cloud aws)");
  }
  return m;
}

nlohmann::json BatchBackend::plan_requests(const jobs::JobSpec& spec) {
  std::string region = region_for(spec);
  std::string endpoint = chain_.config().endpoint(batch_service(), region);
  nlohmann::json def = job_definition_request(spec, machine_for(spec));
  std::string name = def["jobDefinitionName"];
  nlohmann::json plan = nlohmann::json::array();
  plan.push_back({{"method", "POST"},
                  {"url", endpoint + "/v1/describejobdefinitions"},
                  {"body", {{"jobDefinitionName", name}, {"status", "ACTIVE"}}},
                  {"note", "an identical ACTIVE definition is reused; otherwise:"}});
  plan.push_back(
      {{"method", "POST"}, {"url", endpoint + "/v1/registerjobdefinition"}, {"body", def}});
  plan.push_back({{"method", "POST"},
                  {"url", endpoint + "/v1/submitjob"},
                  {"body", submit_job_request(spec, name)},
                  {"note", "jobDefinition becomes NAME:REVISION of the definition used"}});
  return plan;
}

jobs::SubmitResult BatchBackend::submit(const jobs::JobSpec& spec) {
  std::string region = region_for(spec);
  nlohmann::json def = job_definition_request(spec, machine_for(spec));
  nlohmann::json submit_body = submit_job_request(spec, "");  // checks the queue early
  AwsClient client = batch(region);
  std::string name = def["jobDefinitionName"];

  // Reuse an identical ACTIVE definition: a revision per submit would pile up thousands.
  last_registered_ = false;
  last_definition_.clear();
  nlohmann::json query = {{"jobDefinitionName", name}, {"status", "ACTIVE"}};
  for (;;) {
    nlohmann::json page =
        client.call_rest("DescribeJobDefinitions", "POST", "/v1/describejobdefinitions", query);
    for (const auto& existing : page.value("jobDefinitions", nlohmann::json::array())) {
      if (job_definition_matches(existing, def)) {
        last_definition_ = fmt::format("{}:{}", name, existing.value("revision", 0));
        break;
      }
    }
    if (!last_definition_.empty() || page.value("nextToken", "").empty()) break;
    query["nextToken"] = page["nextToken"];
  }
  if (last_definition_.empty()) {
    nlohmann::json reg =
        client.call_rest("RegisterJobDefinition", "POST", "/v1/registerjobdefinition", def);
    last_definition_ =
        fmt::format("{}:{}", reg.value("jobDefinitionName", name), reg.value("revision", 0));
    last_registered_ = true;
    observer_.info("registered Batch job definition " + last_definition_);
  } else {
    observer_.info("reusing Batch job definition " + last_definition_);
  }
  submit_body["jobDefinition"] = last_definition_;
  nlohmann::json out = client.call_rest("SubmitJob", "POST", "/v1/submitjob", submit_body);
  jobs::SubmitResult r;
  r.remote_id = out.value("jobId", "");
  if (r.remote_id.empty()) {
    throw Error(ErrorKind::kRemote, "AWS Batch SubmitJob returned no jobId");
  }
  r.console_url =
      fmt::format("https://{}.console.aws.amazon.com/batch/home?region={}#jobs/detail/{}", region,
                  region, r.remote_id);
  r.details = {{"region", region},
               {"job_arn", out.value("jobArn", "")},
               {"job_definition", last_definition_},
               {"job_queue", spec.job_queue},
               {"log_group", kBatchLogGroup}};
  return r;
}

namespace {

constexpr size_t kDescribeJobsLimit = 100;  // DescribeJobs: "a list of up to 100 job IDs"

std::string remote_id_of(const jobs::JobRecord& job) {
  std::string id = job.details.value("remote_id", "");
  if (id.empty()) {
    throw Error(ErrorKind::kInternal, "job " + job.id + " has no AWS Batch job id in its record");
  }
  return id;
}

Error unknown_job(const std::string& id, const std::string& region) {
  return Error(ErrorKind::kRemote,
               fmt::format("AWS Batch does not know job {} (region {}); Batch forgets jobs 7 "
                           "days after they end",
                           id, region));
}

}  // namespace

nlohmann::json BatchBackend::describe(const jobs::JobRecord& job) {
  return describe_many({job})[0];
}

jobs::RemoteStatus BatchBackend::refresh(const jobs::JobRecord& job) {
  return remote_status_from(describe(job));
}

std::vector<jobs::RemoteStatus> BatchBackend::refresh_many(
    const std::vector<jobs::JobRecord>& jobs) {
  std::vector<jobs::RemoteStatus> out;
  for (const auto& detail : describe_many(jobs)) out.push_back(remote_status_from(detail));
  return out;
}

std::vector<nlohmann::json> BatchBackend::describe_many(const std::vector<jobs::JobRecord>& jobs) {
  std::map<std::string, std::vector<size_t>> by_region;  // region -> indexes into jobs
  for (size_t i = 0; i < jobs.size(); ++i) by_region[job_region(jobs[i])].push_back(i);
  std::vector<nlohmann::json> out(jobs.size());
  for (const auto& [region, indexes] : by_region) {
    AwsClient client = batch(region);
    for (size_t start = 0; start < indexes.size(); start += kDescribeJobsLimit) {
      size_t end = std::min(indexes.size(), start + kDescribeJobsLimit);
      std::vector<std::string> ids;
      for (size_t k = start; k < end; ++k) ids.push_back(remote_id_of(jobs[indexes[k]]));
      nlohmann::json reply =
          client.call_rest("DescribeJobs", "POST", "/v1/describejobs", {{"jobs", ids}});
      std::map<std::string, nlohmann::json> found;  // jobId -> its detail
      for (auto& d : reply.value("jobs", nlohmann::json::array())) {
        if (!d.is_object()) continue;
        std::string id = d.value("jobId", "");  // before the move: `a = b` evaluates b first
        found[id] = std::move(d);
      }
      for (size_t k = start; k < end; ++k) {
        auto it = found.find(ids[k - start]);
        if (it == found.end()) throw unknown_job(ids[k - start], region);
        out[indexes[k]] = it->second;
      }
    }
  }
  return out;
}

std::string BatchBackend::read_logs(const jobs::JobRecord& job, const std::string& cursor,
                                    std::vector<jobs::LogLine>& out) {
  nlohmann::json detail = describe(job);
  std::vector<std::string> streams = log_streams_of(detail);
  std::string group = job.details.value("log_group", kBatchLogGroup);
  // Cursor: {"attempt": index into streams, "token": nextForwardToken within it}.
  nlohmann::json c =
      cursor.empty() ? nlohmann::json::object() : nlohmann::json::parse(cursor, nullptr, false);
  if (!c.is_object()) c = nlohmann::json::object();
  size_t index = c.value("attempt", 0);
  std::string token = c.value("token", "");
  std::string status = detail.value("status", "");
  bool job_live = status == "RUNNING" || status == "STARTING";
  AwsClient client = logs(job_region(job));
  while (index < streams.size()) {
    for (;;) {
      nlohmann::json in = {
          {"logGroupName", group}, {"logStreamName", streams[index]}, {"startFromHead", true}};
      if (!token.empty()) in["nextToken"] = token;
      nlohmann::json page;
      try {
        page = client.call_json("GetLogEvents", in);
      } catch (const AwsError& e) {
        // The stream appears with the container's first line.
        if (e.code() == "ResourceNotFoundException") break;
        throw;
      }
      for (const auto& ev : page.value("events", nlohmann::json::array())) {
        jobs::LogLine line;
        line.timestamp = format_rfc3339(ev.value("timestamp", int64_t{0}) / 1000);
        line.attempt = static_cast<int>(index) + 1;
        line.text = ev.value("message", "");
        out.push_back(line);
      }
      std::string next = page.value("nextForwardToken", "");
      // GetLogEvents answers the same token again once the stream is read to its end.
      bool at_end = next.empty() || next == token;
      token = next;
      if (at_end) break;
    }
    bool last = index + 1 == streams.size();
    if (last && job_live) break;  // more lines will come in this stream
    if (last) break;
    ++index;
    token.clear();
  }
  return nlohmann::json{{"attempt", index}, {"token", token}}.dump();
}

void BatchBackend::cancel(const jobs::JobRecord& job, const jobs::CancelRequest& request) {
  jobs::refuse_preempt(request);
  nlohmann::json detail = describe(job);
  std::string status = detail.value("status", "");
  std::string id = detail.value("jobId", "");
  AwsClient client = batch(job_region(job));
  nlohmann::json body = {{"jobId", id}, {"reason", "cancelled with mlbox cancel"}};
  if (status == "SUBMITTED" || status == "PENDING" || status == "RUNNABLE") {
    client.call_rest("CancelJob", "POST", "/v1/canceljob", body);
  } else if (status == "STARTING" || status == "RUNNING") {
    client.call_rest("TerminateJob", "POST", "/v1/terminatejob", body);
  } else {
    observer_.info(fmt::format("Batch job {} already ended ({})", id, status));
  }
}

namespace {

std::string output_uri_of(const jobs::JobRecord& job) {
  if (!job.output_dir.empty()) return job.output_dir;
  return job.details.value("spec", nlohmann::json::object()).value("output_uri", "");
}

}  // namespace

std::vector<stdfs::path> BatchBackend::fetch(const jobs::JobRecord& job, const stdfs::path& dir,
                                             bool checkpoints) {
  S3Client s3 = S3Client::from_chain(*http_, chain_, job_region(job));
  return jobs::fetch_job_outputs(*s3_object_store(s3), output_uri_of(job), dir, checkpoints);
}

std::vector<stdfs::path> BatchBackend::fetch_metrics(const jobs::JobRecord& job,
                                                     const stdfs::path& dir) {
  S3Client s3 = S3Client::from_chain(*http_, chain_, job_region(job));
  return jobs::fetch_job_metrics(*s3_object_store(s3), output_uri_of(job), dir);
}

std::unique_ptr<jobs::JobBackend> make_batch_backend(const config::Settings& settings,
                                                     Observer& observer) {
  std::string region;
  try {
    region = settings.get("region");
  } catch (const Error&) {
  }
  return std::make_unique<BatchBackend>(config::process_env(), region, observer);
}

}  // namespace mlbox::cloud::aws
