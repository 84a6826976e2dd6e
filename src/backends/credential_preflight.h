// Before a cloud job builds or pushes anything: the credentials of every cloud it touches
// (its target's, its registry's, its buckets'), resolved the way the clients will resolve
// them, so a missing login is reported with the job's other problems instead of after the
// build and the push. Resolving reads files and the environment; only the Google metadata
// server is probed (briefly) when no ADC file is found.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "core/events.h"
#include "jobs/spec_builder.h"

namespace mlbox::backends {

// "aws" and/or "gcp": the target's cloud, the cloud of an ECR / Artifact Registry / GCR
// repository, and of every s3:// or gs:// URI (output, data).
std::set<std::string> clouds_touched(const std::string& target, const std::string& repository,
                                     const std::vector<std::string>& uris);

// One kAuth problem per cloud in `clouds` without credentials, naming what was looked at
// and what to do.
std::vector<jobs::JobProblem> credential_problems(const std::set<std::string>& clouds,
                                                  Observer& observer);

}  // namespace mlbox::backends
