// A sweep on a cloud engine, as jobs/job_submission.h submits a job: the shared job is checked
// against the catalog before anything is pushed, the image is pushed, local data staged, the
// engine creates every trial (one request), and only then is the sweep recorded.
#pragma once

#include <nlohmann/json.hpp>

#include "core/events.h"
#include "jobs/job_submission.h"
#include "sweep/sweep_engine.h"

namespace mlbox::sweep {

// `in.job_id` is the sweep's id (the job's output is <output>/<sweep id>).
void submit_sweep(SweepStore& store, SweepEngine& engine, SweepRecord& record, jobs::SpecInputs in,
                  const jobs::SubmitSteps& steps, Observer& observer);

// What submit_sweep would send: {dry_run, backend, spec, sweep, requests}.
nlohmann::json plan_sweep_requests(SweepEngine& engine, const SweepRecord& record,
                                   jobs::SpecInputs in, const jobs::PushedImage& image);

}  // namespace mlbox::sweep
