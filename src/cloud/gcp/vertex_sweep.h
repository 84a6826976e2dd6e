// A sweep on Vertex AI: one HyperparameterTuningJob, the service's own search (grid, random,
// or its default Bayesian optimisation) over the study mlbox describes. Vertex appends each
// trial's `--name=value` arguments to the container's; the trainer takes them and delivers
// them as the sweep says (MLBOX_SWEEP_PARAMS), and reports the metric for the service
// (cloudml-hypertune's file). Trial N writes under <output>/<sweep id>/N (Vertex's AIP_*_DIR).
// A trial is cancelled through its CustomJob; logs and outputs are those of its CustomJob.
#pragma once

#include <memory>

#include "cloud/gcp/vertex_backend.h"
#include "config/settings.h"
#include "sweep/sweep_engine.h"

namespace mlbox::cloud::gcp {

class VertexSweepEngine : public sweep::SweepEngine {
 public:
  VertexSweepEngine(std::unique_ptr<jobs::JobBackend> vertex, Observer& observer);
  std::string name() const override { return "vertex"; }
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
  std::string api_base(const sweep::SweepRecord& record) const;
  jobs::JobRecord trial_job(const sweep::SweepRecord& record,
                            const sweep::TrialRecord& trial) const;
  std::unique_ptr<jobs::JobBackend> owned_;
  VertexBackend& vertex_;
  Observer& observer_;
};

std::unique_ptr<sweep::SweepEngine> make_vertex_sweep_engine(const config::Settings& settings,
                                                             Observer& observer);

}  // namespace mlbox::cloud::gcp
