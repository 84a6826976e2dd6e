// Where a sweep's trials run. `mlbox sweep` and its status/logs/cancel/fetch speak to engines
// only through this: the local engine (trials as jobs of this machine, scheduled by
// TrialScheduler), AWS Batch (one array job, cloud/aws/batch_sweep.h), Vertex AI (one
// HyperparameterTuningJob, cloud/gcp/vertex_sweep.h); made by name in src/backends/.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "jobs/job_backend.h"
#include "jobs/job_spec.h"
#include "sweep/sweep_record.h"

namespace mlbox::sweep {

class SweepEngine {
 public:
  virtual ~SweepEngine() = default;
  virtual std::string name() const = 0;  // SweepRecord::backend

  // The requests submit() would send, secrets redacted (`mlbox sweep --dry-run`).
  virtual nlohmann::json plan_requests(const SweepRecord& record, const jobs::JobSpec& base) = 0;
  // Creates the trials on the engine from `base` (the job every trial shares: image, machine,
  // output root); fills record.remote_id and what the engine named its trials.
  virtual void submit(SweepRecord& record, const jobs::JobSpec& base) = 0;
  // The trials' states, values (an engine that searches itself), metrics, durations.
  virtual void refresh(SweepRecord& record) = 0;
  // One trial, or every trial not ended when `trial` is empty.
  virtual void cancel(SweepRecord& record, const std::string& trial) = 0;
  // The trial's outputs (model/, history.json, ...) into `dir`.
  virtual std::vector<std::filesystem::path> fetch(const SweepRecord& record,
                                                   const TrialRecord& trial,
                                                   const std::filesystem::path& dir) = 0;
  virtual std::vector<jobs::LogLine> logs(const SweepRecord& record, const TrialRecord& trial) = 0;
};

}  // namespace mlbox::sweep
