// Where `mlbox submit` sends the job: the settings, with `--region R` alone choosing the
// cloud that sells R when mlbox.yaml configures it, the machine it gets, and the flags the
// local target refuses.
#pragma once

#include "cli/context.h"
#include "cli/submit_flags.h"
#include "config/settings.h"
#include "jobs/job_spec.h"

namespace mlbox::cli {

config::Settings resolve_submit_settings(Context& ctx, const SubmitFlags& f,
                                         const manifest::Manifest* m);

// "machine n1-standard-8 (T4 x1, 8 vCPU, 30 GiB) in us-central1: $0.730/h on-demand[, how it
// was chosen]": the machine a cloud job gets, with its price, for the CLI to show.
std::string machine_line(const jobs::JobSpec& spec, const std::string& target);

// Error(kUsage) naming every cloud-only flag given for a local job.
void refuse_cloud_flags_on_local(const SubmitFlags& f);

}  // namespace mlbox::cli
