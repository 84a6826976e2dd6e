// mlbox build: the native builder (no daemon, no root), or buildah / podman / docker fed the
// generated Dockerfile; either way the image is tagged in .mlbox/oci.
#include <algorithm>

#include <fmt/format.h>

#include "backends/base_pull.h"
#include "builder/external_builder.h"
#include "builder/native_builder.h"
#include "builder/plan.h"
#include "cli/ci_output.h"
#include "cli/commands.h"
#include "cli/registry_flags.h"
#include "image/compressor.h"
#include "image/oci_layout.h"
#include "manifest/image_ref.h"

namespace mlbox::cli {

namespace {

std::string short_digest(const std::string& digest) {
  return digest.substr(0, 19);
}

std::string human_size(int64_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 3) {
    v /= 1000;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

}  // namespace

void set_build_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("build", "Build the OCI image into .mlbox/oci");
  struct Flags {
    std::string tag = "latest";
    std::string compression = "gzip";
    int level = -1;
    unsigned threads = 0;
    std::string trainer;
    std::string builder = "native";
    std::vector<std::string> find_links;
    bool no_index = false;
    std::string index_url;
    std::string python = "python3";
    std::string platform = "linux/amd64";
    RegistryFlags registry;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("-t,--tag", f->tag, "Tag in .mlbox/oci (default: latest)");
  cmd->add_option("--compression", f->compression, "Layer compression: gzip or zstd")
      ->check(CLI::IsMember({"gzip", "zstd"}));
  cmd->add_option("--level", f->level, "Compression level (default: gzip 6, zstd 3)");
  cmd->add_option("--threads", f->threads, "Compression threads (default: all cores)");
  cmd->add_option("--trainer", f->trainer,
                  "mlbox-trainer binary to bundle (default: $MLBOX_TRAINER, next to mlbox, PATH)");
  cmd->add_option("--find-links", f->find_links,
                  "Also look for the locked wheels in DIR (repeatable), as for mlbox freeze");
  cmd->add_flag("--no-index", f->no_index, "Offline: only --find-links, no package index");
  cmd->add_option("--index-url", f->index_url, "Package index for the locked wheels");
  cmd->add_option("--python", f->python, "Python that runs pip (default: python3)");
  cmd->add_option("--platform", f->platform, "Platform of a registry base to pull")
      ->capture_default_str();
  add_registry_flags(cmd, f->registry);
  cmd->add_option("--builder", f->builder,
                  "native (default: no daemon, no root), or buildah, podman or docker fed "
                  ".mlbox/Dockerfile; every builder's image lands in .mlbox/oci")
      ->check(CLI::IsMember({"native", "buildah", "podman", "docker"}));
  cmd->callback([&ctx, f] {
    image::refuse_internal_tag(f->tag);
    SystemCommandRunner runner;
    image::CompressionOptions compression;
    compression.compression = image::parse_compression(f->compression);
    compression.level = f->level;
    compression.threads = f->threads;
    std::filesystem::path trainer;
    if (!f->trainer.empty()) trainer = std::filesystem::absolute(f->trainer);
    builder::PlanOptions po;
    po.require_lock = f->builder != "native";  // the Dockerfile installs from the lock
    builder::BuildPlan plan = builder::plan_build(ctx.project_dir(), ctx.observer(), po);

    builder::BuildResult r;
    if (f->builder == "native") {
      builder::NativeBuildOptions o;
      o.project_dir = ctx.project_dir();
      o.tag = f->tag;
      o.compression = compression;
      o.trainer_binary = trainer;
      for (const auto& dir : f->find_links) {
        o.find_links.push_back(std::filesystem::absolute(dir).string());
      }
      o.no_index = f->no_index;
      o.index_url = f->index_url;
      o.python_exe = f->python;
      std::string why;
      auto source = manifest::parse_image_source(plan.base, &why);
      if (source && source->transport == manifest::ImageSource::Transport::kRegistry) {
        o.base_override =
            backends::pull_base_image(image::project_store_path(ctx.project_dir()), source->ref,
                                      f->registry, f->platform, ctx.observer());
      }
      r = builder::build_native(plan, o, runner, ctx.observer());
    } else {
      builder::ExternalBuildOptions o;
      o.tool = builder::parse_external_tool(f->builder);
      o.tag = f->tag;
      o.compression = compression;
      o.trainer_binary = trainer;
      for (const auto& dir : f->find_links) o.wheel_dirs.push_back(std::filesystem::absolute(dir));
      r = builder::build_external(plan, o, runner, ctx.observer());
    }

    write_ci_outputs({{"image_digest", r.manifest.digest}});
    if (ctx.options.json) {
      ctx.print_json(builder::to_json(r));
      return;
    }
    std::string text;
    auto role_of = [](const builder::BuiltLayer& l) {
      return l.path.empty() ? l.role : l.role + " " + l.path + "/";
    };
    size_t width = 8;  // the column fits the longest ("vendor third_party/")
    for (const auto& l : r.layers) width = std::max(width, role_of(l).size());
    for (const auto& l : r.layers) {
      if (l.role == "base") continue;
      text += fmt::format("  {:<{}} {}  {:>9}{}\n", role_of(l), width,
                          short_digest(l.descriptor.digest), human_size(l.descriptor.size),
                          l.reused ? "  (cached)" : "");
    }
    size_t base_layers = 0;
    for (const auto& l : r.layers) base_layers += l.role == "base";
    if (r.builder == "native") {
      text +=
          fmt::format("built oci:{}:{} {} ({} base layers + {})", r.store.string(), r.tag,
                      short_digest(r.manifest.digest), base_layers, r.layers.size() - base_layers);
    } else {
      text += fmt::format("built oci:{}:{} {} with {} ({} layers)", r.store.string(), r.tag,
                          short_digest(r.manifest.digest), r.builder, r.layers.size());
    }
    ctx.print(text);
  });
}

}  // namespace mlbox::cli
