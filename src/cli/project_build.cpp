#include "cli/project_build.h"

#include "backends/base_pull.h"
#include "builder/entry_command_check.h"
#include "builder/external_builder.h"
#include "builder/native_builder.h"
#include "builder/plan.h"
#include "image/compressor.h"
#include "image/oci_layout.h"
#include "manifest/image_ref.h"

namespace mlbox::cli {

void add_build_flags(CLI::App* cmd, BuildFlags& f) {
  cmd->add_option("--compression", f.compression, "Layer compression: gzip or zstd")
      ->check(CLI::IsMember({"gzip", "zstd"}));
  cmd->add_option("--level", f.level, "Compression level (default: gzip 4, zstd 3; gzip up to 12)");
  cmd->add_option("--threads", f.threads, "Compression threads (default: all cores)");
  cmd->add_option("--trainer", f.trainer,
                  "mlbox-trainer binary to bundle (default: $MLBOX_TRAINER, next to mlbox, PATH)");
  cmd->add_option("--find-links", f.find_links,
                  "Also look for the locked wheels in DIR (repeatable), as for mlbox freeze");
  cmd->add_flag("--no-index", f.no_index, "Offline: only --find-links, no package index");
  cmd->add_option("--index-url", f.index_url, "Package index for the locked wheels");
  cmd->add_option("--python", f.python, "Python that runs pip (default: python3)");
  cmd->add_option("--platform", f.platform, "Platform of a registry base to pull")
      ->capture_default_str();
  cmd->add_option("--builder", f.builder,
                  "native (default: no daemon, no root), or buildah, podman or docker fed "
                  ".mlbox/Dockerfile; every builder's image lands in .mlbox/oci")
      ->check(CLI::IsMember({"native", "buildah", "podman", "docker"}));
}

namespace {

// The command must be able to start in the image it was built into (native mode runs the
// bundled trainer, which the builder puts there itself).
builder::BuildResult checked(const builder::BuildPlan& plan, builder::BuildResult r) {
  if (!plan.manifest.train.native) builder::require_entry_command(r, plan.cmd);
  return r;
}

}  // namespace

builder::BuildResult build_project(Context& ctx, const BuildFlags& f) {
  image::refuse_internal_tag(f.tag);
  SystemCommandRunner runner;
  image::CompressionOptions compression;
  compression.compression = image::parse_compression(f.compression);
  compression.level = f.level;
  compression.threads = f.threads;
  std::filesystem::path trainer;
  if (!f.trainer.empty()) trainer = std::filesystem::absolute(f.trainer);
  builder::PlanOptions po;
  po.require_lock = f.builder != "native";  // the Dockerfile installs from the lock
  po.refuse_stale_lock = f.refuse_stale_lock;
  builder::BuildPlan plan = builder::plan_build(ctx.project_dir(), ctx.observer(), po);

  if (f.builder == "native") {
    builder::NativeBuildOptions o;
    o.project_dir = ctx.project_dir();
    o.tag = f.tag;
    o.compression = compression;
    o.trainer_binary = trainer;
    for (const auto& dir : f.find_links) {
      o.find_links.push_back(std::filesystem::absolute(dir).string());
    }
    o.no_index = f.no_index;
    o.index_url = f.index_url;
    o.python_exe = f.python;
    std::string why;
    auto source = manifest::parse_image_source(plan.base, &why);
    if (source && source->transport == manifest::ImageSource::Transport::kRegistry) {
      o.base_override =
          backends::pull_base_image(image::project_store_path(ctx.project_dir()), source->ref,
                                    f.registry, f.platform, ctx.observer());
    }
    return checked(plan, builder::build_native(plan, o, runner, ctx.observer()));
  }
  builder::ExternalBuildOptions o;
  o.tool = builder::parse_external_tool(f.builder);
  o.tag = f.tag;
  o.compression = compression;
  o.trainer_binary = trainer;
  for (const auto& dir : f.find_links) o.wheel_dirs.push_back(std::filesystem::absolute(dir));
  return checked(plan, builder::build_external(plan, o, runner, ctx.observer()));
}

}  // namespace mlbox::cli
