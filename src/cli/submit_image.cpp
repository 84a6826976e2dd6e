#include "cli/submit_image.h"

#include <algorithm>

#include <fmt/format.h>

#include "backends/image_push.h"
#include "image/image_provenance.h"
#include "image/oci_layout.h"
#include "manifest/image_ref.h"
#include "util/command_words.h"
#include "util/error.h"
#include "util/strings.h"

namespace mlbox::cli {

jobs::PushedImage image_from_flag(const std::string& value, const std::string& repository) {
  const std::string hint =
      "give --image REPO[:TAG], REPO@sha256:DIGEST or sha256:DIGEST (of image.repository)";
  if (starts_with(value, "sha256:")) {
    if (repository.empty()) {
      throw Error(ErrorKind::kUsage,
                  "--image " + value +
                      " names a digest but image.repository "
                      "is unset, so there is no repository to find it in",
                  hint);
    }
    std::string why;
    if (!manifest::parse_registry_reference(repository + "@" + value, &why)) {
      throw Error(ErrorKind::kUsage, "--image " + value + " is not a digest: " + why, hint);
    }
    return {repository, value};
  }
  std::string why;
  auto ref = manifest::parse_registry_reference(value, &why);
  if (!ref) throw Error(ErrorKind::kUsage, "--image '" + value + "' is not valid: " + why, hint);
  std::string digest = ref->digest;
  ref->digest.clear();
  return {ref->canonical(), digest};
}

jobs::PushedImage image_to_send(Context& ctx, const SubmitFlags& f, const std::string& repo,
                                bool push,
                                const std::function<void(const std::string& tag)>& after_build) {
  if (!f.image.empty()) {
    jobs::PushedImage image = image_from_flag(f.image, repo);
    if (image.digest.empty()) {  // a tag: pinned to what it names now
      image.digest =
          backends::registry_digest_of(image.reference, f.build.registry, ctx.observer());
      ctx.observer().info(fmt::format("--image {} is {}", f.image, image.digest));
    }
    try {  // the record names its lock and base, as for an image mlbox pushed itself
      image.provenance = backends::registry_image_provenance(image.reference, image.digest,
                                                             f.build.registry, ctx.observer());
    } catch (const Error& e) {
      ctx.observer().warn(
          fmt::format("the job record will not name the image's lock and base: {}", e.what()));
    }
    return image;
  }
  BuildFlags build = f.build;
  build.tag = f.tag.empty() ? "latest" : f.tag;
  build.refuse_stale_lock = true;
  if (!f.no_build) {
    builder::BuildResult r = build_project(ctx, build);
    ctx.observer().info(fmt::format(
        "built {} from the working tree ({} of {} layers rebuilt)", r.manifest.digest.substr(0, 19),
        std::count_if(r.layers.begin(), r.layers.end(), [](const auto& l) { return !l.reused; }),
        r.layers.size()));
  }
  auto store = image::project_store_path(ctx.project_dir());
  if (after_build) after_build(build.tag);
  if (!push) return backends::image_push_would_send(store, repo, build.tag);
  backends::PushRequest request{store, repo, build.tag, -1, false, f.build.registry};
  registry::PushSummary s = backends::push_image(request, ctx.observer());
  ctx.observer().info(fmt::format("image {}@{} ({} uploaded, {} already there)", s.reference,
                                  s.digest, count_of(s.blobs_uploaded, "blob"), s.blobs_skipped));
  jobs::PushedImage pushed{s.reference, s.digest};
  try {
    pushed.provenance = image::provenance_in_store(store, s.digest);
  } catch (const Error& e) {
    ctx.observer().warn(
        fmt::format("the job record will not name the image's lock and base: {}", e.what()));
  }
  return pushed;
}

}  // namespace mlbox::cli
