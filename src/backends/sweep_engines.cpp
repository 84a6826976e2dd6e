#include "backends/sweep_engines.h"

#include "backends/job_backends.h"
#include "cloud/aws/batch_sweep.h"
#include "cloud/gcp/vertex_sweep.h"
#include "cloud/local/local_backend.h"
#include "sweep/job_sweep_engine.h"
#include "util/error.h"

namespace mlbox::backends {

namespace {

// The local engine owns the backend its trials' jobs run on.
class LocalSweepEngine : public sweep::JobSweepEngine {
 public:
  LocalSweepEngine(std::unique_ptr<jobs::JobBackend> backend, jobs::JobStore& jobs,
                   sweep::SweepStore& sweeps)
      : JobSweepEngine(*backend, jobs, sweeps), owned_(std::move(backend)) {}

 private:
  std::unique_ptr<jobs::JobBackend> owned_;
};

}  // namespace

std::unique_ptr<sweep::SweepEngine> make_sweep_engine(const std::string& backend,
                                                      const config::Settings& settings,
                                                      Observer& observer, jobs::JobStore& jobs,
                                                      sweep::SweepStore& sweeps) {
  if (backend == "local") {
    return std::make_unique<LocalSweepEngine>(
        std::make_unique<cloud::local::LocalBackend>(observer, jobs.path()), jobs, sweeps);
  }
  if (backend == "vertex") return cloud::gcp::make_vertex_sweep_engine(settings, observer);
  if (backend == "aws-batch")
    return std::make_unique<cloud::aws::BatchSweepEngine>(settings, observer);
  throw Error(ErrorKind::kUsage, "no sweep engine '" + backend + "'",
              "sweeps run on the targets local, vertex and batch");
}

std::unique_ptr<sweep::SweepEngine> engine_for_sweep(const sweep::SweepRecord& record,
                                                     Observer& observer, jobs::JobStore& jobs,
                                                     sweep::SweepStore& sweeps) {
  std::map<std::string, std::string> flags;
  const auto& saved = record.details.value("settings", nlohmann::json::object());
  for (const auto& [k, v] : saved.items()) {
    if (v.is_string() && !v.get<std::string>().empty()) flags[k] = v.get<std::string>();
  }
  flags["target"] = record.backend == "aws-batch" ? "batch" : record.backend;
  return make_sweep_engine(record.backend, config::resolve_for_process(nullptr, flags), observer,
                           jobs, sweeps);
}

}  // namespace mlbox::backends
