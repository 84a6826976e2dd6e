// Vertex AI HyperparameterTuningJob requests (aiplatform v1 hyperparameter_tuning_job.proto and
// study.proto, protobuf JSON) from a sweep, and its trials read back. Pure functions.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "catalog/machine_catalog.h"
#include "jobs/job_spec.h"
#include "sweep/sweep_record.h"

namespace mlbox::cloud::gcp {

// StudySpec: metrics [{metricId, goal MAXIMIZE|MINIMIZE}], parameters (lists of numbers ->
// discreteValueSpec, categories -> categoricalValueSpec, int ranges -> integerValueSpec, float
// ranges -> doubleValueSpec; scaleType UNIT_LINEAR_SCALE / UNIT_LOG_SCALE), algorithm
// GRID_SEARCH / RANDOM_SEARCH (unset: the service's default, Bayesian), and
// medianAutomatedStoppingSpec for the median rule. Grid search takes no float range: mlbox's
// grid points of it are sent as a discrete list.
nlohmann::json study_spec_json(const manifest::SweepSpec& spec);

// The HyperparameterTuningJob body: displayName, studySpec, maxTrialCount,
// parallelTrialCount, maxFailedTrialCount (all of them: a failed trial does not end the sweep),
// trialJobSpec (the CustomJob's jobSpec, with MLBOX_SWEEP_PARAMS telling the trainer which
// `--name=value` arguments the service appends are the trial's), labels.
nlohmann::json tuning_job_body(const sweep::SweepRecord& record, const jobs::JobSpec& spec,
                               const catalog::MachineCatalog& catalog);

// A Trial of the job's answer onto a trial record: its values, state (REQUESTED -> QUEUED,
// ACTIVE / STOPPING -> RUNNING, SUCCEEDED, INFEASIBLE -> FAILED), times, final measurement
// of the sweep's metric, the trial's CustomJob.
void apply_vertex_trial(const nlohmann::json& trial, const std::string& metric,
                        sweep::TrialRecord& out);

}  // namespace mlbox::cloud::gcp
