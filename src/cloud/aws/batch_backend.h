// AWS Batch as a jobs::JobBackend ("aws-batch"): a job definition per distinct job shape
// (reused while an identical ACTIVE one exists: no new revision per submit), SubmitJob with
// a retry strategy that retries spot reclaims, DescribeJobs mapped onto mlbox's states and
// attempts, TerminateJob/CancelJob by state, logs from CloudWatch Logs (each attempt's log
// stream), outputs fetched from the job's S3 prefix.
#pragma once

#include <memory>

#include "catalog/machine_catalog.h"
#include "cloud/aws/aws_client.h"
#include "cloud/aws/credential_chain.h"
#include "config/settings.h"
#include "core/events.h"
#include "jobs/job_backend.h"
#include "net/http_client.h"

namespace mlbox::cloud::aws {

class BatchBackend : public jobs::JobBackend {
 public:
  // `region` empty: the chain's (AWS_REGION, AWS_DEFAULT_REGION, profile).
  BatchBackend(config::EnvGetter env, std::string region, Observer& observer,
               const catalog::MachineCatalog& catalog = catalog::builtin_machine_catalog());
  ~BatchBackend() override;

  std::string name() const override { return "aws-batch"; }
  nlohmann::json plan_requests(const jobs::JobSpec& spec) override;
  jobs::SubmitResult submit(const jobs::JobSpec& spec) override;
  jobs::RemoteStatus refresh(const jobs::JobRecord& job) override;
  // refresh() for many jobs at once (a sweep's children): one DescribeJobs per region and 100
  // jobs (the API's limit per call) instead of one per job. Same order as `jobs`; a job Batch
  // no longer knows throws as refresh() does.
  std::vector<jobs::RemoteStatus> refresh_many(const std::vector<jobs::JobRecord>& jobs);
  std::string read_logs(const jobs::JobRecord& job, const std::string& cursor,
                        std::vector<jobs::LogLine>& out) override;
  void cancel(const jobs::JobRecord& job, const jobs::CancelRequest& request) override;
  std::vector<std::filesystem::path> fetch(const jobs::JobRecord& job,
                                           const std::filesystem::path& dir,
                                           bool checkpoints) override;
  std::vector<std::filesystem::path> fetch_metrics(const jobs::JobRecord& job,
                                                   const std::filesystem::path& dir) override;

  // The job definition submit() used ("name:revision") and whether it registered it.
  const std::string& last_definition() const { return last_definition_; }
  bool last_registered() const { return last_registered_; }

 private:
  std::string region_for(const jobs::JobSpec& spec) const;
  AwsClient batch(const std::string& region);
  AwsClient logs(const std::string& region);
  nlohmann::json describe(const jobs::JobRecord& job);
  // DescribeJobs details of `jobs`, in order: one call per region and 100 jobs.
  std::vector<nlohmann::json> describe_many(const std::vector<jobs::JobRecord>& jobs);
  std::string job_region(const jobs::JobRecord& job) const;
  const catalog::Machine& machine_for(const jobs::JobSpec& spec) const;

  std::string region_;
  Observer& observer_;
  const catalog::MachineCatalog& catalog_;
  std::unique_ptr<net::HttpClient> http_;
  AwsCredentialChain chain_;
  std::string last_definition_;
  bool last_registered_ = false;
};

// For `mlbox submit --target batch` and the commands working on its jobs.
std::unique_ptr<jobs::JobBackend> make_batch_backend(const config::Settings& settings,
                                                     Observer& observer);

}  // namespace mlbox::cloud::aws
