// Where `mlbox submit` sends the job: the settings, with `--region R` alone choosing the
// cloud that sells R when mlbox.yaml configures it, and the flags the local target refuses.
#pragma once

#include "cli/context.h"
#include "cli/submit_flags.h"
#include "config/settings.h"

namespace mlbox::cli {

config::Settings resolve_submit_settings(Context& ctx, const SubmitFlags& f,
                                         const manifest::Manifest* m);

// Error(kUsage) naming every cloud-only flag given for a local job.
void refuse_cloud_flags_on_local(const SubmitFlags& f);

}  // namespace mlbox::cli
