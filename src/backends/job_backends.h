// The one place that knows every job backend and bucket client: made by name, for a target
// setting or for a stored job. Everything else speaks to jobs::JobBackend and
// jobs::ObjectStore.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/settings.h"
#include "core/events.h"
#include "jobs/job_backend.h"
#include "jobs/job_spec.h"
#include "jobs/job_store.h"
#include "jobs/object_store.h"

namespace mlbox::backends {

// "vertex" -> "vertex", "batch" -> "aws-batch", "local" -> "local" (the name stored in job
// records).
std::string backend_name_for_target(const std::string& target);

// Whether the target runs jobs on this machine (no registry, no catalog).
bool target_runs_here(const std::string& target);

// Throws Error(kUsage) for an unknown backend name.
std::unique_ptr<jobs::JobBackend> make_job_backend(const std::string& backend,
                                                   const config::Settings& settings,
                                                   Observer& observer);

// The backend of a stored job, with the settings it was submitted with (its region,
// project, queue) on top of the process's environment, so it works from any directory.
std::unique_ptr<jobs::JobBackend> backend_for_job(const jobs::JobRecord& job, Observer& observer);

// The settings a stored job was submitted with, on top of the process's environment.
config::Settings settings_for_job(const jobs::JobRecord& job);

// The bucket client for "s3" or "gs" (data staging, fetch).
std::unique_ptr<jobs::ObjectStore> make_object_store(const std::string& scheme,
                                                     const config::Settings& settings,
                                                     Observer& observer);

// Local data entries of `spec` -> the configured output bucket (only changed files move).
void stage_local_data(const config::Settings& settings, jobs::JobSpec& spec,
                      const std::filesystem::path& project_dir, Observer& observer);

// The job history, newest first (at most `limit`, 0 = all); jobs whose state is on this
// machine are refreshed first (a dead runner's job becomes FAILED); cloud jobs are not asked.
std::vector<jobs::JobRecord> list_jobs(jobs::JobStore& store, size_t limit);

}  // namespace mlbox::backends
