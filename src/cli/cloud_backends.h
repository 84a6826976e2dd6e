// The cloud job backends, made by name, and what `status`, `logs`, `cancel` and `fetch`
// share for cloud jobs: settings rebuilt from the job's own record, a refresh that writes
// the cloud's state into the job store, and log following across attempts.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cli/context.h"
#include "config/settings.h"
#include "jobs/job_backend.h"
#include "jobs/job_store.h"
#include "jobs/object_store.h"

namespace mlbox::cli {

// "vertex" -> "vertex", "batch" -> "aws-batch" (the name stored in job records).
std::string backend_name_for_target(const std::string& target);

// Throws Error(kUsage) for an unknown backend name.
std::unique_ptr<jobs::JobBackend> make_cloud_backend(const std::string& backend,
                                                     const config::Settings& settings,
                                                     Observer& observer);

// The bucket client for "s3" or "gs" (data staging, fetch).
std::unique_ptr<jobs::ObjectStore> make_object_store(const std::string& scheme,
                                                     const config::Settings& settings,
                                                     Observer& observer);

// The settings a stored job was submitted with (its region, project, queue) on top of the
// process's environment, so `mlbox status` works from any directory.
config::Settings settings_for_job(const jobs::JobRecord& job);

// Asks the cloud, writes the answer into the store, returns the updated record.
jobs::JobRecord refresh_cloud_job(jobs::JobStore& store, jobs::JobBackend& backend,
                                  const jobs::JobRecord& job);

// Prints the job's log lines (every attempt, each introduced by a marker line) through
// `emit`; with follow, polls until the job is terminal. Returns the final record.
jobs::JobRecord stream_cloud_logs(jobs::JobStore& store, jobs::JobBackend& backend,
                                  const jobs::JobRecord& job, bool follow,
                                  const std::function<void(const std::string&)>& emit,
                                  Observer& observer);

// Seconds between polls: $MLBOX_POLL_INTERVAL (tests use 0.2), else 5.
double poll_interval_seconds();

}  // namespace mlbox::cli
