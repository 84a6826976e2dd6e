// The AWS Batch request bodies mlbox sends for a JobSpec, and the mapping of DescribeJobs
// answers onto mlbox's job model. Pure functions (no I/O), so --dry-run, the backend and
// the tests share them.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "catalog/machine_catalog.h"
#include "jobs/job_backend.h"

namespace mlbox::cloud::aws {

// Where Batch's awslogs driver writes unless told otherwise.
inline constexpr const char* kBatchLogGroup = "/aws/batch/job";

// "mlbox-<name>" with characters Batch refuses replaced ([A-Za-z0-9_-], at most 128).
std::string batch_name(const std::string& name);

// RegisterJobDefinition input: image ref@digest, command, resourceRequirements
// (VCPU / MEMORY in MiB / GPU from the machine catalog), environment, jobRoleArn,
// awslogs logConfiguration; "multinode" with nodeProperties when spec.nodes > 1.
nlohmann::json job_definition_request(const jobs::JobSpec& spec, const catalog::Machine& machine);

// SubmitJob input for a registered definition ("name:revision" or an ARN): retryStrategy
// (3 attempts; retry on "Host EC2*" status reasons — spot reclaims, host failures — and
// exit on anything else), timeout when spec.max_runtime_seconds > 0.
// The job's own environment (spec.env, MLBOX_*_DIR under its output URI, AWS_REGION), sent
// as SubmitJob overrides.
nlohmann::json job_environment(const jobs::JobSpec& spec);
nlohmann::json submit_job_request(const jobs::JobSpec& spec, const std::string& job_definition);

// Whether an existing definition (a DescribeJobDefinitions entry) already is `wanted`:
// ACTIVE, and every field mlbox sets has the value mlbox would send (AWS adds defaults
// such as empty volumes lists; those are ignored).
bool job_definition_matches(const nlohmann::json& existing, const nlohmann::json& wanted);

// A DescribeJobs jobDetail -> state, attempts (each attempt's times, exit code, outcome:
// "preempted" for Host EC2 terminations) and the status reason.
jobs::RemoteStatus remote_status_from(const nlohmann::json& job_detail);

// The log streams of a job, one per attempt, oldest first (the running attempt last).
std::vector<std::string> log_streams_of(const nlohmann::json& job_detail);

}  // namespace mlbox::cloud::aws
