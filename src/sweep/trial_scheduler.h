// A sweep whose trials are jobs of their own (the local engine): at most `slots` run at once,
// each slot's trial started as a job of the backend, its state and metric read as it runs,
// the median stopping rule applied to running trials, and requests to cancel (from
// `mlbox sweep cancel` in another process, through request_cancel) honoured. The record is
// saved at every change, so `mlbox sweep status` in another terminal sees the sweep move.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/events.h"
#include "jobs/job_backend.h"
#include "jobs/job_store.h"
#include "sweep/sweep_record.h"
#include "sweep/trial_metric.h"

namespace mlbox::sweep {

struct TrialLaunch {
  // The job of a trial; `slot` (0-based, < slots) picks a GPU when the trials share them.
  std::function<jobs::JobSpec(const TrialRecord& trial, int slot)> spec_for;
  // Its metric so far (read from its outputs).
  std::function<TrialMetric(const TrialRecord& trial, const jobs::JobRecord& job)> read_metric;
};

class TrialScheduler {
 public:
  TrialScheduler(SweepStore& sweeps, jobs::JobStore& jobs, jobs::JobBackend& backend,
                 Observer& observer);

  // Runs until every trial is terminal; returns the final record (saved).
  SweepRecord run(SweepRecord record, const TrialLaunch& launch, int slots);

  // Called after each save (the CLI renders progress).
  std::function<void(const SweepRecord&)> on_change;

 private:
  bool step(SweepRecord& record, const TrialLaunch& launch, int slots);
  SweepStore& sweeps_;
  jobs::JobStore& jobs_;
  jobs::JobBackend& backend_;
  Observer& observer_;
  std::map<std::string, int> slot_of_;  // job id -> the slot it holds
};

// Asks the sweep's scheduler to cancel `trial` ("" = every trial not yet ended): a request file
// beside the record, read at its next step.
void request_cancel(const SweepStore& sweeps, const std::string& sweep_id,
                    const std::string& trial);
// The trials asked to be cancelled ("*" = all).
std::vector<std::string> cancel_requests(const SweepStore& sweeps, const std::string& sweep_id);

}  // namespace mlbox::sweep
