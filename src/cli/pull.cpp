// mlbox pull: an image from a registry -> the project's OCI store.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/registry_flags.h"
#include "image/oci_layout.h"
#include "manifest/image_ref.h"
#include "registry/blob_locations.h"
#include "registry/image_puller.h"
#include "util/command_words.h"
#include "util/error.h"

namespace mlbox::cli {

namespace {
struct PullFlags {
  std::string reference;
  std::string tag;
  std::string platform = "linux/amd64";
  RegistryFlags registry;
};
}  // namespace

void set_pull_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("pull", "Pull an image into the OCI store");
  auto flags = std::make_shared<PullFlags>();
  cmd->add_option("REF", flags->reference, "HOST/REPO[:TAG|@DIGEST]")->required();
  cmd->add_option("--tag", flags->tag,
                  "Tag to give it in the store (default: the reference's tag, else latest)");
  cmd->add_option("--platform", flags->platform, "Platform to pick from an index")
      ->capture_default_str();
  add_registry_flags(cmd, flags->registry);
  cmd->callback([&ctx, flags] {
    image::refuse_internal_tag(flags->tag);
    std::string why;
    auto ref = manifest::parse_registry_reference(flags->reference, &why);
    if (!ref) {
      throw Error(ErrorKind::kUsage,
                  fmt::format("bad image reference '{}': {}", flags->reference, why),
                  "write it as HOST[:PORT]/REPOSITORY[:TAG] or ...@sha256:DIGEST");
    }
    image::OciLayout store(image::project_store_path(ctx.project_dir()));
    RegistryFlags transport = flags->registry;
    transport.trace_headers = ctx.options.verbose >= 2;
    backends::RegistryConnection connection(ref->registry, transport, ctx.observer());
    registry::BlobLocations locations(registry::BlobLocations::default_file());
    registry::ImagePuller puller(connection.client(), connection.observer(), &locations);
    registry::PullOptions options;
    options.jobs = flags->registry.jobs;
    options.platform = image::parse_platform(flags->platform);
    options.tag = flags->tag;
    registry::PullSummary s = puller.pull(store, *ref, options);
    if (ctx.options.json) {
      ctx.print_json(s.to_json());
      return;
    }
    ctx.print(
        fmt::format("pulled {} -> {}:{} ({})\n  {}, {} already stored, {:.1f} MB "
                    "downloaded; {:.1f}s",
                    s.reference, store.root().string(), s.tag, s.digest, count_of(s.blobs, "blob"),
                    s.blobs_present, static_cast<double>(s.bytes_downloaded) / 1e6, s.seconds));
  });
}

}  // namespace mlbox::cli
