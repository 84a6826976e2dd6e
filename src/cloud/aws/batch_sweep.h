// A sweep on AWS Batch: one array job (SubmitJob arrayProperties.size = the trials), every
// child the same image and machine. mlbox uploads the plan (each trial's values) to
// <output>/<sweep id>/plan.json and names it in MLBOX_SWEEP_PLAN; the trainer of child i reads
// trial i+1's values from it (AWS_BATCH_JOB_ARRAY_INDEX) and writes under
// <output>/<sweep id>/<trial>. Each child is a job of its own to Batch ("<parent id>:<i>"):
// its state, attempts, logs and cancel go through BatchBackend; its metric is read from its
// metrics.jsonl / history.json in S3.
#pragma once

#include <memory>

#include "cloud/aws/batch_backend.h"
#include "config/settings.h"
#include "jobs/object_store.h"
#include "sweep/sweep_engine.h"

namespace mlbox::cloud::aws {

class BatchSweepEngine : public sweep::SweepEngine {
 public:
  BatchSweepEngine(const config::Settings& settings, Observer& observer);
  std::string name() const override { return "aws-batch"; }
  nlohmann::json plan_requests(const sweep::SweepRecord& record,
                               const jobs::JobSpec& base) override;
  void submit(sweep::SweepRecord& record, const jobs::JobSpec& base) override;
  void refresh(sweep::SweepRecord& record) override;
  void cancel(sweep::SweepRecord& record, const std::string& trial) override;
  std::vector<std::filesystem::path> fetch(const sweep::SweepRecord& record,
                                           const sweep::TrialRecord& trial,
                                           const std::filesystem::path& dir) override;
  std::vector<jobs::LogLine> logs(const sweep::SweepRecord& record,
                                  const sweep::TrialRecord& trial) override;

 private:
  std::string region_of(const sweep::SweepRecord& record) const;
  std::unique_ptr<jobs::ObjectStore> store(const sweep::SweepRecord& record);
  std::string region_;
  Observer& observer_;
  std::unique_ptr<BatchBackend> backend_;
};

// The array job of a sweep: `base` with arrayProperties.size, MLBOX_SWEEP_PLAN, and the
// parent's output (the children move theirs under their trial).
jobs::JobSpec array_job_spec(const sweep::SweepRecord& record, const jobs::JobSpec& base,
                             const std::string& plan_uri);
// A child of the array as a job record BatchBackend can refresh, cancel, fetch and read logs of.
jobs::JobRecord child_job_record(const sweep::SweepRecord& record, const sweep::TrialRecord& trial);

}  // namespace mlbox::cloud::aws
