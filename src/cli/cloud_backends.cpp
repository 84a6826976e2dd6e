#include "cli/cloud_backends.h"

#include <chrono>
#include <cstdlib>
#include <thread>

#include <fmt/format.h>

#include "cloud/aws/batch_backend.h"
#include "cloud/aws/s3_object_store.h"
#include "cloud/gcp/gcs_object_store.h"
#include "cloud/gcp/vertex_backend.h"
#include "util/error.h"

namespace mlbox::cli {

std::string backend_name_for_target(const std::string& target) {
  if (target == "vertex") return "vertex";
  if (target == "batch") return "aws-batch";
  return target;
}

std::unique_ptr<jobs::JobBackend> make_cloud_backend(const std::string& backend,
                                                     const config::Settings& settings,
                                                     Observer& observer) {
  if (backend == "vertex") return cloud::gcp::make_vertex_backend(settings, observer);
  if (backend == "aws-batch") return cloud::aws::make_batch_backend(settings, observer);
  throw Error(ErrorKind::kUsage, "unknown job backend '" + backend + "'",
              "targets are local, vertex and batch");
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

jobs::JobRecord refresh_cloud_job(jobs::JobStore& store, jobs::JobBackend& backend,
                                  const jobs::JobRecord& job) {
  if (jobs::is_terminal(job.state) && job.details.value("final", false)) return job;
  jobs::RemoteStatus st = backend.refresh(job);
  store.apply_remote(job.id, st.state, st.attempts);
  auto details = job.details;
  if (!st.message.empty()) details["status_message"] = st.message;
  if (jobs::is_terminal(st.state)) details["final"] = true;
  store.set_details(job.id, details);
  return store.resolve(job.id);
}

double poll_interval_seconds() {
  if (const char* v = std::getenv("MLBOX_POLL_INTERVAL")) {
    char* end = nullptr;
    double d = std::strtod(v, &end);
    if (end != v && d > 0) return d;
  }
  return 5.0;
}

jobs::JobRecord stream_cloud_logs(jobs::JobStore& store, jobs::JobBackend& backend,
                                  const jobs::JobRecord& job, bool follow,
                                  const std::function<void(const std::string&)>& emit,
                                  Observer& observer) {
  std::string cursor;
  int shown_attempt = 0;
  jobs::JobRecord now = job;
  const auto pause = std::chrono::duration<double>(poll_interval_seconds());
  jobs::JobState last_state = now.state;
  for (;;) {
    if (follow) {
      now = refresh_cloud_job(store, backend, now);
      if (now.state != last_state) {
        observer.info(fmt::format("job {}: {}", now.id, jobs::to_string(now.state)));
        last_state = now.state;
      }
    }
    std::vector<jobs::LogLine> lines;
    cursor = backend.read_logs(now, cursor, lines);
    for (const auto& l : lines) {
      if (l.attempt != shown_attempt) {
        emit(fmt::format("── attempt {} ──", l.attempt));
        shown_attempt = l.attempt;
      }
      emit(l.timestamp.empty() ? l.text : l.timestamp + " " + l.text);
    }
    if (!follow) break;
    if (jobs::is_terminal(now.state)) {
      if (lines.empty()) break;
      continue;  // ended: drain what is left without waiting
    }
    std::this_thread::sleep_for(pause);
  }
  return now;
}

}  // namespace mlbox::cli
