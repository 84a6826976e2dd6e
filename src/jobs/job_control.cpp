#include "jobs/job_control.h"

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "util/error.h"

namespace mlbox::jobs {

JobRecord refresh_job(JobStore& store, JobBackend& backend, const JobRecord& job) {
  if (is_terminal(job.state) && job.details.value("final", false)) return job;
  RemoteStatus st = backend.refresh(job);
  if (st.recorded) return store.resolve(job.id);
  store.apply_remote(job.id, st.state, st.attempts);
  auto details = job.details;
  if (!st.message.empty()) details["status_message"] = st.message;
  if (is_terminal(st.state)) details["final"] = true;
  store.set_details(job.id, details);
  return store.resolve(job.id);
}

std::vector<LogLine> read_all_logs(JobBackend& backend, const JobRecord& job) {
  std::vector<LogLine> lines;
  backend.read_logs(job, "", lines);
  return lines;
}

FailureSummary failure_summary(JobBackend& backend, const JobRecord& job, size_t lines) {
  FailureSummary f;
  if (job.state != JobState::kFailed) return f;
  f.reason = backend.failure_reason(job);
  if (lines == 0) return f;
  std::vector<LogLine> all;
  try {
    backend.read_logs(job, "", all);
  } catch (const Error&) {
    // The reason alone still helps; logs that cannot be read are not the question here.
  }
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
    f.last_lines.push_back(all[i].text);
  }
  return f;
}

JobRecord resolve_job_or_latest(const JobStore& store, const std::string& id_or_prefix) {
  if (!id_or_prefix.empty()) return store.resolve(id_or_prefix);
  auto newest = store.list(1);
  if (newest.empty()) {
    throw Error(ErrorKind::kUsage, "no jobs yet",
                "start one with 'mlbox run' (this machine) or 'mlbox submit'");
  }
  return newest.front();
}

std::string attempt_marker(int attempt) {
  return fmt::format("── attempt {} ──", attempt);
}

JobRecord stream_logs(JobStore& store, JobBackend& backend, const JobRecord& job, bool follow,
                      const std::function<void(const std::string&)>& emit, Observer& observer) {
  std::string cursor;
  int shown_attempt = 0;
  JobRecord now = job;
  const auto pause = std::chrono::duration<double>(backend.poll_interval_seconds());
  JobState last_state = now.state;
  for (;;) {
    if (follow) {
      now = refresh_job(store, backend, now);
      if (now.state != last_state) {
        observer.info(fmt::format("job {}: {}", now.id, to_string(now.state)));
        last_state = now.state;
      }
    }
    std::vector<LogLine> lines;
    cursor = backend.read_logs(now, cursor, lines);
    for (const auto& l : lines) {
      if (l.attempt != shown_attempt) {
        emit(attempt_marker(l.attempt));
        shown_attempt = l.attempt;
      }
      emit(l.timestamp.empty() ? l.text : l.timestamp + " " + l.text);
    }
    if (!follow) break;
    if (is_terminal(now.state)) {
      if (lines.empty()) break;
      continue;  // ended: drain what is left without waiting
    }
    std::this_thread::sleep_for(pause);
  }
  return now;
}

JobRecord cancel_job(JobStore& store, JobBackend& backend, const JobRecord& job,
                     const CancelRequest& request) {
  if (is_terminal(job.state)) {
    throw Error(ErrorKind::kUsage,
                "job " + job.id + " has already ended (" + to_string(job.state) + ")");
  }
  backend.cancel(job, request);
  if (!request.preempt) store.set_state(job.id, JobState::kCancelled);
  return store.resolve(job.id);
}

}  // namespace mlbox::jobs
