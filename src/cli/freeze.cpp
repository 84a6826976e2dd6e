// mlbox freeze: pin every dependency (with sha256 hashes) into mlbox.lock.
#include <fmt/format.h>

#include "cli/commands.h"
#include "freeze/freeze.h"
#include "manifest/load.h"
#include "util/fs.h"

namespace mlbox::cli {

void set_freeze_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("freeze", "Pin every dependency (with hashes) into mlbox.lock");
  auto opts = std::make_shared<freeze::FreezeOptions>();
  auto output = std::make_shared<std::string>();
  auto resolver = std::make_shared<std::string>("auto");
  cmd->add_option("--find-links", opts->find_links, "Also look for wheels in DIR (repeatable)");
  cmd->add_flag("--no-index", opts->no_index, "Offline: only --find-links, no package index");
  cmd->add_option("--index-url", opts->index_url, "Package index to resolve against");
  cmd->add_option("--python", opts->python_exe, "Python that runs pip (default: python3)");
  cmd->add_option("--resolver", *resolver, "auto (uv when on PATH, else pip), pip or uv")
      ->check(CLI::IsMember({"auto", "pip", "uv"}));
  cmd->add_option("-o,--output", *output, "Where to write the lock (default: mlbox.lock)");
  cmd->callback([&ctx, opts, output, resolver] {
    auto m = manifest::load(ctx.manifest_path());
    if (*resolver == "pip") opts->resolver = freeze::ResolveOptions::Resolver::kPip;
    if (*resolver == "uv") opts->resolver = freeze::ResolveOptions::Resolver::kUv;
    for (auto& dir : opts->find_links) dir = std::filesystem::absolute(dir).string();
    SystemCommandRunner runner;
    freeze::Lock lock = freeze::freeze_project(m, *opts, runner, ctx.observer());
    std::filesystem::path out =
        output->empty() ? ctx.project_dir() / "mlbox.lock" : std::filesystem::absolute(*output);
    fs::write_file_atomic(out, lock.render());
    if (ctx.options.json) {
      nlohmann::json pkgs = nlohmann::json::array();
      for (const auto& p : lock.packages) {
        pkgs.push_back({{"name", p.name}, {"version", p.version}, {"sha256", p.sha256}});
      }
      ctx.print_json({{"lock", out.string()},
                      {"digest", lock.digest()},
                      {"python", lock.header.python},
                      {"framework", lock.header.framework},
                      {"cuda", lock.header.cuda},
                      {"base_image", lock.header.base_image},
                      {"packages", pkgs}});
      return;
    }
    ctx.print(fmt::format("wrote {} ({} packages, {})", out.filename().string(),
                          lock.packages.size(), lock.digest().substr(0, 19)));
  });
}

}  // namespace mlbox::cli
