// mlbox push: the image in the project's OCI store -> a registry.
#include <fmt/format.h>

#include "backends/image_push.h"
#include "cli/ci_output.h"
#include "cli/commands.h"
#include "cli/registry_flags.h"
#include "config/settings.h"
#include "image/oci_layout.h"
#include "manifest/load.h"
#include "util/command_words.h"
#include "util/error.h"

namespace mlbox::cli {

namespace {

// REF, else the image.repository setting (flag > MLBOX_IMAGE_REPOSITORY > mlbox.yaml > user
// config), as `mlbox submit` reads it.
std::string push_destination(Context& ctx, const std::string& reference) {
  if (!reference.empty()) return reference;
  std::optional<manifest::Manifest> m;
  if (std::filesystem::exists(ctx.manifest_path())) m = manifest::load(ctx.manifest_path());
  std::string repo = config::resolve_for_process(m ? &*m : nullptr, {}).get("image.repository");
  if (repo.empty()) {
    throw Error(ErrorKind::kUsage, "no REF given and image.repository is unset",
                "set image.repository in mlbox.yaml (or MLBOX_IMAGE_REPOSITORY, or the user "
                "config), or name it: mlbox push HOST/REPO[:TAG]");
  }
  return repo;
}

}  // namespace

void set_push_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("push", "Push the image to its registry");
  auto req = std::make_shared<backends::PushRequest>();
  cmd->add_option("REF", req->reference,
                  "Where to push: HOST/REPO[:TAG] (default: the image.repository setting, "
                  "with the store's tag)");
  cmd->add_option("--tag", req->tag, "Which tag of the project's store to push");
  cmd->add_option("--chunk-size", req->chunk_size,
                  "Upload in chunks of BYTES (0: one request per blob; default: one request "
                  "below 32 MiB, else 16 MiB chunks)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-create", req->no_create,
                "Fail instead of creating a missing repository (ECR: CreateRepository)");
  add_registry_flags(cmd, req->registry);
  cmd->callback([&ctx, req] {
    backends::PushRequest r = *req;
    r.reference = push_destination(ctx, r.reference);
    r.store = image::project_store_path(ctx.project_dir());
    r.registry.trace_headers = ctx.options.verbose >= 2;
    registry::PushSummary s = backends::push_image(r, ctx.observer());
    write_ci_outputs({{"image_digest", s.digest}, {"image", s.reference + "@" + s.digest}});
    if (ctx.options.json) {
      ctx.print_json(s.to_json());
      return;
    }
    ctx.print(fmt::format(
        "pushed {}@{}\n  {}: {} uploaded ({:.1f} MB sent), {} already there, {} mounted; "
        "{:.1f}s{}",
        s.reference, s.digest, count_of(s.blobs, "blob"), s.blobs_uploaded,
        static_cast<double>(s.bytes_uploaded) / 1e6, s.blobs_skipped, s.blobs_mounted, s.seconds,
        s.docker_fallback ? " (as Docker schema2)" : ""));
  });
}

}  // namespace mlbox::cli
