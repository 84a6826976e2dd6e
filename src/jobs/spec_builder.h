// From mlbox.yaml + resolved settings to a JobSpec for a cloud target, checked against the
// machine catalog before anything is sent: an unknown region, a GPU the region does not
// offer, a machine without the requested GPU, or a missing bucket/project/queue is an
// Error(kConfig) (exit 3) naming the setting's origin and what to do.
#pragma once

#include <string>

#include "catalog/machine_catalog.h"
#include "config/settings.h"
#include "jobs/job_spec.h"
#include "manifest/manifest.h"
#include "util/error.h"

namespace mlbox::jobs {

// Something wrong with a job found outside its spec (missing credentials for a cloud it
// touches), reported in the same error as the spec's own problems.
struct JobProblem {
  std::string what;
  std::string hint;
  ErrorKind kind = ErrorKind::kConfig;
};

struct SpecInputs {
  const manifest::Manifest* manifest = nullptr;  // may be null (flags and env only)
  const config::Settings* settings = nullptr;
  std::string target;  // "vertex" | "batch"
  std::string job_id;  // mlbox's id, becomes a label and MLBOX_JOB_ID-independent metadata
  std::string image_ref;
  std::string image_digest;
  std::vector<std::string> command;   // overrides the image's CMD when not empty
  std::vector<std::string> env;       // KEY=value
  std::vector<JobProblem> preflight;  // reported with the spec's problems, in one error
};

// "aws" for batch, "gcp" for vertex.
std::string cloud_of_target(const std::string& target);

// Builds and validates; output_uri is the configured output + "/" + job_id. The machine is chosen
// from the catalog when only a GPU is asked for (fewest GPUs, then cheapest in the region).
JobSpec make_job_spec(const SpecInputs& in,
                      const catalog::MachineCatalog& catalog = catalog::builtin_machine_catalog());

// The catalog checks alone (also used on a spec read back from a record).
// `preflight` problems are reported with the spec's; the error is kConfig (exit 3) when any
// problem is a config problem, else the kind they share (kAuth, exit 4, for credentials).
void validate_job_spec(const JobSpec& spec, const std::string& target,
                       const config::Settings* settings = nullptr,
                       const catalog::MachineCatalog& catalog = catalog::builtin_machine_catalog(),
                       const std::vector<JobProblem>& preflight = {});

// Estimated cost in USD of `hours` on the spec's machine (spot price when spot), or
// nullopt when the catalog has no price for it.
std::optional<double> estimated_cost(const JobSpec& spec, const std::string& target, double hours);

}  // namespace mlbox::jobs
