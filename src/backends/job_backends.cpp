#include "backends/job_backends.h"

#include <fmt/format.h>

#include "cloud/aws/batch_backend.h"
#include "cloud/aws/s3_object_store.h"
#include "cloud/gcp/gcs_object_store.h"
#include "cloud/gcp/vertex_backend.h"
#include "cloud/local/local_backend.h"
#include "jobs/data_staging.h"
#include "jobs/job_control.h"
#include "util/command_words.h"
#include "util/error.h"

namespace mlbox::backends {

std::string backend_name_for_target(const std::string& target) {
  if (target == "batch") return "aws-batch";
  return target;
}

bool target_runs_here(const std::string& target) {
  return target == "local";
}

std::unique_ptr<jobs::JobBackend> make_job_backend(const std::string& backend,
                                                   const config::Settings& settings,
                                                   Observer& observer) {
  if (backend == "local") return std::make_unique<cloud::local::LocalBackend>(observer);
  if (backend == "vertex") return cloud::gcp::make_vertex_backend(settings, observer);
  if (backend == "aws-batch") return cloud::aws::make_batch_backend(settings, observer);
  throw Error(ErrorKind::kUsage, "unknown job backend '" + backend + "'",
              "targets are local, vertex and batch");
}

config::Settings settings_for_job(const jobs::JobRecord& job) {
  std::map<std::string, std::string> flags;
  const auto& spec = job.details.value("spec", nlohmann::json::object());
  for (const char* key : {"region", "project", "job_queue", "job_role_arn", "service_account"}) {
    std::string v = spec.value(key, "");
    if (!v.empty()) flags[key] = v;
  }
  flags["target"] = job.backend == "aws-batch" ? "batch" : job.backend;
  return config::resolve_for_process(nullptr, flags);
}

std::unique_ptr<jobs::JobBackend> backend_for_job(const jobs::JobRecord& job, Observer& observer) {
  if (job.backend == "local") return std::make_unique<cloud::local::LocalBackend>(observer);
  return make_job_backend(job.backend, settings_for_job(job), observer);
}

std::unique_ptr<jobs::ObjectStore> make_object_store(const std::string& scheme,
                                                     const config::Settings& settings,
                                                     Observer& observer) {
  if (scheme == "s3") {
    std::string region = settings.get("target") == "batch" ? settings.get("region") : "";
    return cloud::aws::make_s3_object_store(config::process_env(), region, observer);
  }
  if (scheme == "gs") return cloud::gcp::make_gcs_object_store(config::process_env(), observer);
  throw Error(ErrorKind::kUsage, "no bucket client for '" + scheme + "://'",
              "use s3:// or gs:// URIs");
}

void stage_local_data(const config::Settings& settings, jobs::JobSpec& spec,
                      const std::filesystem::path& project_dir, Observer& observer) {
  bool local = false;
  for (const auto& d : spec.data) {
    local |= d.uri.rfind("s3://", 0) != 0 && d.uri.rfind("gs://", 0) != 0;
  }
  if (!local) return;
  // Blobs go under the configured output, shared by every job of the project (the job's
  // own outputs sit under <output>/<job id>).
  std::string base = settings.get("output");
  while (base.size() > 5 && base.back() == '/') base.pop_back();
  auto bucket = jobs::parse_bucket_uri(base);
  auto store = make_object_store(bucket.scheme, settings, observer);
  auto st = jobs::stage_data(*store, base, spec.data, project_dir, observer);
  observer.info(fmt::format("data: {}, {} uploaded ({:.1f} MB)", count_of(st.files, "file"),
                            st.uploaded, static_cast<double>(st.bytes_uploaded) / 1e6));
}

std::vector<jobs::JobRecord> list_jobs(jobs::JobStore& store, size_t limit) {
  auto list = store.list(limit);
  NullObserver quiet;
  cloud::local::LocalBackend here(quiet, store.path());
  for (auto& r : list) {
    if (r.backend == here.name()) r = jobs::refresh_job(store, here, r);
  }
  return list;
}

}  // namespace mlbox::backends
