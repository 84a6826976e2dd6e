#include "sweep/job_sweep_engine.h"

#include <signal.h>

#include <cerrno>

#include "jobs/job_control.h"
#include "sweep/trial_scheduler.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/utc_time.h"

namespace mlbox::sweep {

namespace {

// A zombie is not alive: the detached scheduler's parent (init) may be slow to reap it.
bool process_alive(long pid) {
  if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM)) return false;
  std::string stat;
  if (!fs::read_file_if_exists("/proc/" + std::to_string(pid) + "/stat", stat)) return true;
  auto paren = stat.rfind(')');
  return !(paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z');
}

}  // namespace

JobSweepEngine::JobSweepEngine(jobs::JobBackend& backend, jobs::JobStore& jobs, SweepStore& sweeps)
    : backend_(backend), jobs_(jobs), sweeps_(sweeps) {}

nlohmann::json JobSweepEngine::plan_requests(const SweepRecord&, const jobs::JobSpec&) {
  throw Error(ErrorKind::kUsage, "--dry-run is for cloud targets (vertex, batch)",
              "use --target vertex or --target batch");
}

void JobSweepEngine::submit(SweepRecord&, const jobs::JobSpec&) {
  // Trials start one by one as slots free up: TrialScheduler does it.
}

void JobSweepEngine::refresh(SweepRecord& record) {
  if (record.done()) return;
  long pid = record.details.value("scheduler_pid", 0L);
  if (process_alive(pid)) return;
  for (auto& t : record.trials) {
    if (is_terminal_trial_state(t.state)) continue;
    if (t.job_id.empty()) {
      t.state = "CANCELLED";
      t.message = "never started: the sweep's scheduler is gone";
      continue;
    }
    if (auto job = jobs_.find(t.job_id)) {
      auto now = jobs::refresh_job(jobs_, backend_, *job);
      t.state = jobs::to_string(now.state);
      if (jobs::is_terminal(now.state) && t.ended_at.empty()) t.ended_at = now.updated_at;
    }
  }
  record.state = overall_state(record);
  sweeps_.save(record);
}

void JobSweepEngine::cancel(SweepRecord& record, const std::string& trial) {
  request_cancel(sweeps_, record.id, trial);
  for (auto& t : record.trials) {
    if (!trial.empty() && t.id != trial && t.job_id != trial) continue;
    if (t.job_id.empty() || is_terminal_trial_state(t.state)) continue;
    if (auto job = jobs_.find(t.job_id); job && !jobs::is_terminal(job->state)) {
      try {
        backend_.cancel(*job, {});
      } catch (const Error& e) {
        // No attempt running yet: the scheduler honours the request when it can.
        if (e.kind() != ErrorKind::kUsage) throw;
      }
    }
  }
}

std::vector<std::filesystem::path> JobSweepEngine::fetch(const SweepRecord& record,
                                                         const TrialRecord& trial,
                                                         const std::filesystem::path& dir) {
  if (trial.job_id.empty()) {
    throw Error(ErrorKind::kUsage, record.id + " " + trial.id + " never started",
                "fetch a trial that ran: mlbox sweep status " + record.id);
  }
  return backend_.fetch(jobs_.resolve(trial.job_id), dir, false);
}

std::vector<jobs::LogLine> JobSweepEngine::logs(const SweepRecord&, const TrialRecord& trial) {
  if (trial.job_id.empty()) return {};
  return jobs::read_all_logs(backend_, jobs_.resolve(trial.job_id));
}

}  // namespace mlbox::sweep
