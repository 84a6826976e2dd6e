// Which image a cloud submit sends: what the working tree builds to (the default), the
// store's image as it is (--no-build), or an image already in a registry (--image).
#pragma once

#include <functional>
#include <string>

#include "cli/context.h"
#include "cli/submit_flags.h"
#include "jobs/job_submission.h"

namespace mlbox::cli {

// --image: "REPO@sha256:..." or "sha256:..." (of image.repository `repository`), or
// "REPO[:TAG]", whose digest is empty here: image_to_send reads it from the registry, so
// the job runs the exact image the tag names now. Error(kUsage) for anything else.
jobs::PushedImage image_from_flag(const std::string& value, const std::string& repository);

// The image of a cloud job: --image, or the store's (built from the working tree first
// unless --no-build, refusing a stale lock), pushed to `repo` when `push`, else only what a
// push would send (--dry-run). `after_build` sees the store's image (after the build, before
// any push; not called for --image).
jobs::PushedImage image_to_send(
    Context& ctx, const SubmitFlags& f, const std::string& repo, bool push,
    const std::function<void(const std::string& tag)>& after_build = {});

}  // namespace mlbox::cli
