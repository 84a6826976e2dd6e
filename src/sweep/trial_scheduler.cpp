#include "sweep/trial_scheduler.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "jobs/job_control.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"
#include "util/utc_time.h"

namespace mlbox::sweep {

namespace stdfs = std::filesystem;

namespace {

stdfs::path cancel_file(const SweepStore& sweeps, const std::string& id) {
  return sweeps.dir() / (id + ".cancel");
}

bool wanted(const std::vector<std::string>& requests, const TrialRecord& t) {
  return std::any_of(requests.begin(), requests.end(), [&](const std::string& r) {
    return r == "*" || r == t.id || (!t.job_id.empty() && r == t.job_id);
  });
}

}  // namespace

void request_cancel(const SweepStore& sweeps, const std::string& sweep_id,
                    const std::string& trial) {
  std::string text;
  fs::read_file_if_exists(cancel_file(sweeps, sweep_id), text);
  text += (trial.empty() ? "*" : trial) + "\n";
  stdfs::create_directories(sweeps.dir());
  fs::write_file_atomic(cancel_file(sweeps, sweep_id), text);
}

std::vector<std::string> cancel_requests(const SweepStore& sweeps, const std::string& sweep_id) {
  std::string text;
  std::vector<std::string> out;
  if (!fs::read_file_if_exists(cancel_file(sweeps, sweep_id), text)) return out;
  for (const auto& line : split(text, '\n')) {
    if (!trim(line).empty()) out.emplace_back(trim(line));
  }
  return out;
}

TrialScheduler::TrialScheduler(SweepStore& sweeps, jobs::JobStore& jobs, jobs::JobBackend& backend,
                               Observer& observer)
    : sweeps_(sweeps), jobs_(jobs), backend_(backend), observer_(observer) {}

SweepRecord TrialScheduler::run(SweepRecord record, const TrialLaunch& launch, int slots) {
  slots = std::max(1, slots);
  const auto interval = std::chrono::milliseconds(
      static_cast<long long>(std::max(0.05, backend_.poll_interval_seconds()) * 1000));
  for (;;) {
    bool changed = step(record, launch, slots);
    record.state = overall_state(record);
    if (changed || record.done()) {
      sweeps_.save(record);
      if (on_change) on_change(record);
    }
    if (record.done()) return record;
    std::this_thread::sleep_for(interval);
  }
}

bool TrialScheduler::step(SweepRecord& record, const TrialLaunch& launch, int slots) {
  bool changed = false;
  auto requests = cancel_requests(sweeps_, record.id);
  std::vector<MetricCurve> completed;
  std::map<std::string, MetricCurve> curves;
  std::vector<bool> slot_busy(static_cast<size_t>(slots), false);
  int running = 0;
  // 1. What the running trials did since the last step.
  for (auto& t : record.trials) {
    if (t.job_id.empty() || is_terminal_trial_state(t.state)) continue;
    auto job = jobs_.find(t.job_id);
    if (!job) continue;
    jobs::JobRecord now = jobs::refresh_job(jobs_, backend_, *job);
    TrialMetric m = launch.read_metric(t, now);
    curves[t.id] = m.curve;
    if (m.value != t.metric || m.names_seen != t.metric_names) changed = true;
    t.metric = m.value;
    t.metric_names = m.names_seen;
    if (!now.attempts.empty() && t.started_at != now.attempts.front().started_at) {
      t.started_at = now.attempts.front().started_at;
      changed = true;
    }
    std::string state = jobs::to_string(now.state);
    if (state != t.state) {
      t.state = state;
      changed = true;
      if (jobs::is_terminal(now.state)) {
        t.ended_at = now.updated_at.empty() ? utc_now_rfc3339() : now.updated_at;
        if (now.state == jobs::JobState::kFailed) t.message = backend_.failure_reason(now);
        observer_.info(fmt::format(
            "{} {} {}{}", record.id, t.id, state,
            t.metric ? fmt::format(" ({} {:.6g})", record.spec.metric, *t.metric) : ""));
      }
    }
    if (!is_terminal_trial_state(t.state)) {
      auto slot = slot_of_.find(t.job_id);
      if (slot != slot_of_.end() && slot->second < slots)
        slot_busy[static_cast<size_t>(slot->second)] = true;
      ++running;
    }
  }
  for (const auto& t : record.trials) {
    if (t.state == "SUCCEEDED") {
      if (!curves.count(t.id)) {
        if (auto job = jobs_.find(t.job_id)) curves[t.id] = launch.read_metric(t, *job).curve;
      }
      completed.push_back(curves[t.id]);
    }
  }
  // 2. Cancel requests and the median rule.
  for (auto& t : record.trials) {
    if (is_terminal_trial_state(t.state)) continue;
    std::optional<std::string> stop_why;
    bool cancel = wanted(requests, t);
    if (!cancel && !t.job_id.empty()) {
      stop_why = median_rule_stops(curves[t.id], completed, record.spec.maximize,
                                   record.spec.early_stopping);
    }
    if (!cancel && !stop_why) continue;
    if (!t.job_id.empty()) {
      if (auto job = jobs_.find(t.job_id); job && !jobs::is_terminal(job->state)) {
        try {
          backend_.cancel(*job, {});
        } catch (const Error& e) {
          // Not started yet (no attempt to signal): the next step asks again.
          if (e.kind() != ErrorKind::kUsage) throw;
          continue;
        }
        --running;
      }
    }
    t.state = cancel ? "CANCELLED" : "STOPPED";
    t.message = cancel ? "cancelled" : "stopped early: " + *stop_why;
    t.ended_at = utc_now_rfc3339();
    changed = true;
    observer_.info(fmt::format("{} {} {}", record.id, t.id, t.message));
  }
  // 3. Start pending trials in free slots.
  for (auto& t : record.trials) {
    if (running >= slots) break;
    if (t.state != "PENDING" || !t.job_id.empty()) continue;
    int slot = 0;
    while (slot < slots && slot_busy[static_cast<size_t>(slot)]) ++slot;
    if (slot >= slots) break;
    jobs::JobSpec spec = launch.spec_for(t, slot);
    jobs::SubmitResult r = backend_.submit(spec);
    t.job_id = r.remote_id;
    t.output = spec.output_uri;
    t.state = "QUEUED";
    t.started_at = utc_now_rfc3339();
    slot_of_[t.job_id] = slot;
    slot_busy[static_cast<size_t>(slot)] = true;
    ++running;
    changed = true;
    observer_.info(fmt::format("{} {} started as {}", record.id, t.id, t.job_id));
  }
  return changed;
}

}  // namespace mlbox::sweep
