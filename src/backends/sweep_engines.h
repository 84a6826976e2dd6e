// The sweep engines by name, as job_backends.h makes job backends: "local" (trials as jobs of
// this machine), "aws-batch" (one array job), "vertex" (one HyperparameterTuningJob).
#pragma once

#include <memory>
#include <string>

#include "config/settings.h"
#include "core/events.h"
#include "jobs/job_store.h"
#include "sweep/sweep_engine.h"

namespace mlbox::backends {

// Throws Error(kUsage) for an engine that does not exist.
std::unique_ptr<sweep::SweepEngine> make_sweep_engine(const std::string& backend,
                                                      const config::Settings& settings,
                                                      Observer& observer, jobs::JobStore& jobs,
                                                      sweep::SweepStore& sweeps);

// The engine of a stored sweep, with the settings it was submitted with (details.settings).
std::unique_ptr<sweep::SweepEngine> engine_for_sweep(const sweep::SweepRecord& record,
                                                     Observer& observer, jobs::JobStore& jobs,
                                                     sweep::SweepStore& sweeps);

}  // namespace mlbox::backends
