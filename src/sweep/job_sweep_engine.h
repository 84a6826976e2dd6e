// The local engine as a SweepEngine: each trial is a job of a jobs::JobBackend (this machine's),
// started by TrialScheduler in the process `mlbox sweep` leaves running (or in the foreground
// with --follow). Status reads what the scheduler saved; cancel asks the scheduler and stops a
// running trial's job at once; fetch and logs are the trial's job's.
#pragma once

#include "jobs/job_backend.h"
#include "jobs/job_store.h"
#include "sweep/sweep_engine.h"

namespace mlbox::sweep {

class JobSweepEngine : public SweepEngine {
 public:
  JobSweepEngine(jobs::JobBackend& backend, jobs::JobStore& jobs, SweepStore& sweeps);
  std::string name() const override { return backend_.name(); }
  nlohmann::json plan_requests(const SweepRecord& record, const jobs::JobSpec& base) override;
  void submit(SweepRecord& record, const jobs::JobSpec& base) override;
  // When the scheduler process is gone before the end, its unfinished trials are settled
  // from their jobs, and trials it never started are CANCELLED.
  void refresh(SweepRecord& record) override;
  void cancel(SweepRecord& record, const std::string& trial) override;
  std::vector<std::filesystem::path> fetch(const SweepRecord& record, const TrialRecord& trial,
                                           const std::filesystem::path& dir) override;
  std::vector<jobs::LogLine> logs(const SweepRecord& record, const TrialRecord& trial) override;

 private:
  jobs::JobBackend& backend_;
  jobs::JobStore& jobs_;
  SweepStore& sweeps_;
};

}  // namespace mlbox::sweep
