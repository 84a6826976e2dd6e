// The Vertex AI backend: `mlbox submit/status/logs/cancel/fetch` for target "vertex" (and
// "ai-platform", which now means Vertex AI). CustomJob create/get/cancel/list on
// {region}-aiplatform.googleapis.com, logs from Cloud Logging (resource.type="ml_job"),
// outputs from Cloud Storage under the job's baseOutputDirectory.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "catalog/machine_catalog.h"
#include "cloud/gcp/adc.h"
#include "cloud/gcp/gcs_client.h"
#include "cloud/gcp/google_api.h"
#include "config/settings.h"
#include "core/events.h"
#include "jobs/job_backend.h"

namespace mlbox::cloud::gcp {

class VertexBackend : public jobs::JobBackend {
 public:
  struct Options {
    config::EnvGetter env;
    GoogleApi::TokenFn quota_project;  // x-goog-user-project (AdcCredentials::quota_project)
    std::string project;               // defaults for specs that name none
    std::string region;
    const catalog::MachineCatalog* catalog = nullptr;  // default: the built-in one
  };
  // `token` gives a Bearer token for every call (ADC's access_token in production).
  VertexBackend(net::HttpClient& http, GoogleApi::TokenFn token, Observer& observer,
                Options options);

  std::string name() const override { return "vertex"; }
  nlohmann::json plan_requests(const jobs::JobSpec& spec) override;
  jobs::SubmitResult submit(const jobs::JobSpec& spec) override;
  jobs::RemoteStatus refresh(const jobs::JobRecord& job) override;
  // The cursor is JSON: the last timestamp seen, the insertIds already returned at it, and
  // the chief's VMs seen so far (a new VM = a restarted attempt, e.g. after a spot reclaim).
  std::string read_logs(const jobs::JobRecord& job, const std::string& cursor,
                        std::vector<jobs::LogLine>& out) override;
  void cancel(const jobs::JobRecord& job, const jobs::CancelRequest& request) override;
  std::vector<std::filesystem::path> fetch(const jobs::JobRecord& job,
                                           const std::filesystem::path& dir,
                                           bool checkpoints) override;
  std::vector<std::filesystem::path> fetch_metrics(const jobs::JobRecord& job,
                                                   const std::filesystem::path& dir) override;

  // customJobs.list for the project and region (one page per request, all pages).
  std::vector<nlohmann::json> list_jobs(const std::string& project, const std::string& region);
  // customJobs.get, the raw CustomJob.
  nlohmann::json get_job(const std::string& resource_name);

  // For the sweep engine (vertex_sweep.h), which speaks to the same service: the spec with
  // the project/region defaults, the authenticated client, the environment.
  jobs::JobSpec complete(const jobs::JobSpec& spec) const { return completed(spec); }
  GoogleApi& api() { return api_; }
  const Options& options() const { return options_; }

 private:
  jobs::JobSpec completed(const jobs::JobSpec& spec) const;  // project/region defaults
  std::string parent(const jobs::JobSpec& spec) const;
  std::string region_of(const jobs::JobRecord& job) const;
  std::string remote_id(const jobs::JobRecord& job) const;

  GoogleApi api_;
  Observer& observer_;
  Options options_;
};

// Production wiring: ADC from the process environment, its own HttpClient; project and
// region from the settings ("project", "region").
std::unique_ptr<jobs::JobBackend> make_vertex_backend(const config::Settings& settings,
                                                      Observer& observer);

}  // namespace mlbox::cloud::gcp
