// What a cloud submit will cost and take before it launches: the expected cost for
// max_runtime on-demand and spot (cached live prices, else the embedded table), the quota
// headroom (cached quotas; a job over quota is refused before anything moves), and the
// bytes a push would send (blobs the registry lacks, from HEADs) and the image size a
// machine pulls. Printed through the observer; the dry run also carries it in its JSON.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "cli/submit_flags.h"
#include "jobs/job_spec.h"

namespace mlbox::cli {

// Cost and quota; throws Error(kConfig) when the job exceeds a cached quota and
// `refuse_over_quota`.
nlohmann::json launch_estimate(Context& ctx, const jobs::JobSpec& spec, const std::string& target,
                               bool refuse_over_quota);

// Bytes to push and to pull for the store's image under `tag`, pushed to `repo`.
nlohmann::json push_estimate(Context& ctx, const SubmitFlags& f, const std::string& repo,
                             const std::string& tag);

}  // namespace mlbox::cli
