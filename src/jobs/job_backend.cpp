#include "jobs/job_backend.h"

#include <cstdlib>

#include "util/error.h"

namespace mlbox::jobs {

double default_poll_interval_seconds() {
  if (const char* v = std::getenv("MLBOX_POLL_INTERVAL")) {
    char* end = nullptr;
    double d = std::strtod(v, &end);
    if (end != v && d > 0) return d;
  }
  return 5.0;
}

std::string JobBackend::failure_reason(const JobRecord& job) {
  return job.details.value("status_message", "");
}

double JobBackend::poll_interval_seconds() const {
  return default_poll_interval_seconds();
}

void refuse_preempt(const CancelRequest& request) {
  if (request.preempt) {
    throw Error(ErrorKind::kUsage, "--preempt is for local jobs",
                "cloud jobs are preempted by the cloud; mlbox cancel stops them");
  }
}

}  // namespace mlbox::jobs
