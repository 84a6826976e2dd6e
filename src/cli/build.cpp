// mlbox build: the native builder (no daemon, no root), or buildah / podman / docker fed the
// generated Dockerfile; either way the image is tagged in .mlbox/oci.
#include <algorithm>

#include <fmt/format.h>

#include "cli/ci_output.h"
#include "cli/commands.h"
#include "cli/project_build.h"
#include "util/command_words.h"

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
  auto f = std::make_shared<BuildFlags>();
  cmd->add_option("-t,--tag", f->tag, "Tag in .mlbox/oci (default: latest)");
  add_build_flags(cmd, *f);
  add_registry_flags(cmd, f->registry);
  cmd->callback([&ctx, f] {
    builder::BuildResult r = build_project(ctx, *f);
    write_ci_outputs({{"image_digest", r.manifest.digest}});
    if (ctx.options.json) {
      ctx.print_json(builder::to_json(r));
      return;
    }
    std::string text;
    auto role_of = [](const builder::BuiltLayer& l) {
      if (l.path.empty()) return l.role;
      // A vendor layer names a directory ("src/deps/") or its rest ("src/deps/*"); a deps
      // layer names its package.
      bool dir = l.role == "vendor" && !l.path.ends_with("*");
      return l.role + " " + l.path + (dir ? "/" : "");
    };
    size_t width = 8;  // the column fits the longest ("vendor third_party/")
    for (const auto& l : r.layers) width = std::max(width, role_of(l).size());
    for (const auto& l : r.layers) {
      if (l.role == "base" || ctx.options.quiet) continue;  // -q: the result line only
      text += fmt::format("  {:<{}} {}  {:>9}{}\n", role_of(l), width,
                          short_digest(l.descriptor.digest), human_size(l.descriptor.size),
                          l.reused ? "  (cached)" : "");
    }
    size_t base_layers = 0;
    for (const auto& l : r.layers) base_layers += l.role == "base";
    if (r.builder == "native") {
      text += fmt::format("built oci:{}:{} {} ({} + {})", r.store.string(), r.tag,
                          short_digest(r.manifest.digest), count_of(base_layers, "base layer"),
                          r.layers.size() - base_layers);
    } else {
      text += fmt::format("built oci:{}:{} {} with {} ({})", r.store.string(), r.tag,
                          short_digest(r.manifest.digest), r.builder,
                          count_of(r.layers.size(), "layer"));
    }
    ctx.print(text);
  });
}

}  // namespace mlbox::cli
