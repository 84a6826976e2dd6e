// Vertex AI CustomJob requests (aiplatform v1, protobuf JSON: lowerCamelCase field names)
// built from a backend-neutral JobSpec, and the JobState a Vertex JOB_STATE_* maps to.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "catalog/machine_catalog.h"
#include "config/settings.h"
#include "jobs/job_spec.h"
#include "jobs/job_store.h"

namespace mlbox::cloud::gcp {

// AI Platform Training (ml.googleapis.com) is gone; `--target ai-platform` means Vertex AI.
inline constexpr const char* kAiPlatformShutdownNotice =
    "AI Platform Training (ml.googleapis.com) was shut down on 2025-01-31; its successor, "
    "Vertex AI custom training (CustomJob), is used instead";

// The CustomJob body for projects.locations.customJobs.create:
//   displayName, labels, jobSpec{workerPoolSpecs[chief (+ workers when nodes > 1)]{
//   machineSpec{machineType, acceleratorType, acceleratorCount}, replicaCount,
//   containerSpec{imageUri = image_ref@digest, args, env[{name,value}]}},
//   scheduling{timeout "Ns", strategy SPOT + restartJobOnWorkerRestart when spot},
//   serviceAccount, baseOutputDirectory{outputUriPrefix}}.
// Throws Error(kConfig) for a GPU the catalog has no Vertex accelerator for, a missing
// project/region/image digest, or an output URI that is not gs://.
nlohmann::json custom_job_body(const jobs::JobSpec& spec, const catalog::MachineCatalog& catalog);

// The Vertex AcceleratorType enum name for a catalog GPU ("T4" -> "NVIDIA_TESLA_T4"),
// preferring the row of `machine` when the catalog has one.
std::string vertex_accelerator_type(const catalog::MachineCatalog& catalog,
                                    std::string_view machine, std::string_view gpu, int count);

// "https://us-central1-aiplatform.googleapis.com/v1/", or
// $CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM (gcloud's override, e.g.
// "http://127.0.0.1:8080/") with "v1/" appended when it names no version.
std::string vertex_api_base(std::string_view region, const config::EnvGetter& env);
// "https://logging.googleapis.com/v2/" or $CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING + "v2/".
std::string logging_api_base(const config::EnvGetter& env);

// JOB_STATE_QUEUED -> kQueued, PENDING -> kStarting, RUNNING/CANCELLING/UPDATING -> kRunning,
// SUCCEEDED -> kSucceeded, FAILED/EXPIRED/PARTIALLY_SUCCEEDED -> kFailed, CANCELLED ->
// kCancelled, PAUSED -> kQueued. Unknown names are kRunning (not terminal: poll again).
jobs::JobState job_state_from_vertex(std::string_view state);

// "https://console.cloud.google.com/vertex-ai/locations/R/training/ID/cpu?project=P"
std::string vertex_console_url(std::string_view resource_name);

}  // namespace mlbox::cloud::gcp
