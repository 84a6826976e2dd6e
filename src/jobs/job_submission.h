// `mlbox submit` for a backend that runs a pushed image: the spec is checked against the
// catalog before anything is pushed or sent, the image is pushed, local data staged, the
// backend creates the job, and only then is the job recorded, so a refused submit leaves
// no half-written history. Pushing and staging come in as functions (they need registry and
// bucket clients this module does not know).
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/events.h"
#include "jobs/job_backend.h"
#include "jobs/job_store.h"
#include "jobs/spec_builder.h"

namespace mlbox::jobs {

struct PushedImage {
  std::string reference;  // "registry/repo:tag"
  std::string digest;     // "sha256:..."
  // {"lock_digest", "base_image"} from the image's labels when known (image/image_provenance.h);
  // kept in the job record's details.
  nlohmann::json provenance = nlohmann::json::object();
};

struct SubmitSteps {
  std::function<PushedImage()> push_image;
  std::function<void(JobSpec&)> stage_data;  // local data entries -> bucket URIs
};

// The spec's catalog checks, with a placeholder digest: everything that needs no network,
// done before any byte is pushed. Returns the spec (machine chosen) for the caller to show.
JobSpec check_job_inputs(SpecInputs in);

// `in.image_ref` is the configured repository (checked before the push); image_digest and
// job_id are filled here. Returns the stored record (state SUBMITTED).
JobRecord submit_job(JobStore& store, JobBackend& backend, SpecInputs in, const SubmitSteps& steps,
                     Observer& observer);

// What submit_job would send for the image `image` (not pushed): {dry_run, backend, spec,
// requests}.
nlohmann::json plan_job(JobBackend& backend, SpecInputs in, const PushedImage& image);

}  // namespace mlbox::jobs
