// mlbox freeze: pin every dependency (with sha256 hashes) into mlbox.lock.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/registry_flags.h"
#include "freeze/freeze.h"
#include "manifest/image_ref.h"
#include "manifest/load.h"
#include "registry/repository_client.h"
#include "util/command_words.h"
#include "util/error.h"
#include "util/fs.h"

namespace mlbox::cli {

namespace {

// The base image's tag -> the digest the registry serves for it now, so the build (and
// every rebuild) starts FROM exactly that image. A registry that cannot be asked leaves the
// lock with the tag only, with a warning: freezing must not fail for it.
void pin_base_digest(Context& ctx, freeze::Lock& lock, const RegistryFlags& flags) {
  auto& h = lock.header;
  std::string why;
  auto source = manifest::parse_image_source(h.base_image, &why);
  if (!source || source->transport != manifest::ImageSource::Transport::kRegistry) return;
  const manifest::RegistryReference* ref = &source->ref;
  if (!ref->digest.empty()) {
    h.base_digest = ref->digest;
    return;
  }
  try {
    backends::RegistryConnection connection(ref->registry, flags, ctx.observer());
    registry::RepositoryClient repo(connection.client(), ref->repository);
    auto fetched = repo.get_manifest(ref->tag.empty() ? "latest" : ref->tag);
    h.base_digest = fetched.digest;
    ctx.observer().info("pinned base " + ref->canonical() + " to " + fetched.digest);
  } catch (const Error& e) {
    ctx.observer().warn("could not pin the base image " + h.base_image +
                        " to a digest: " + e.what() + " (the lock names the tag only)");
  }
}

}  // namespace

void set_freeze_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("freeze", "Pin every dependency (with hashes) into mlbox.lock");
  auto opts = std::make_shared<freeze::FreezeOptions>();
  auto output = std::make_shared<std::string>();
  auto resolver = std::make_shared<std::string>("auto");
  auto pin = std::make_shared<std::string>("auto");
  auto registry = std::make_shared<RegistryFlags>();
  cmd->add_option("--find-links", opts->find_links, "Also look for wheels in DIR (repeatable)");
  cmd->add_flag("--no-index", opts->no_index, "Offline: only --find-links, no package index");
  cmd->add_option("--index-url", opts->index_url, "Package index to resolve against");
  cmd->add_option("--python", opts->python_exe, "Python that runs pip (default: python3)");
  cmd->add_option("--resolver", *resolver, "auto (uv when on PATH, else pip), pip or uv")
      ->check(CLI::IsMember({"auto", "pip", "uv"}));
  cmd->add_option("-o,--output", *output, "Where to write the lock (default: mlbox.lock)");
  cmd->add_option("--pin-base", *pin,
                  "Pin the base image's tag to its registry digest: auto (yes unless --no-index), "
                  "yes, no")
      ->check(CLI::IsMember({"auto", "yes", "no"}));
  add_registry_flags(cmd, *registry);
  cmd->callback([&ctx, opts, output, resolver, pin, registry] {
    auto m = manifest::load(ctx.manifest_path());
    if (*resolver == "pip") opts->resolver = freeze::ResolveOptions::Resolver::kPip;
    if (*resolver == "uv") opts->resolver = freeze::ResolveOptions::Resolver::kUv;
    for (auto& dir : opts->find_links) dir = std::filesystem::absolute(dir).string();
    SystemCommandRunner runner;
    freeze::Lock lock = freeze::freeze_project(m, *opts, runner, ctx.observer());
    if (*pin == "yes" || (*pin == "auto" && !opts->no_index)) {
      pin_base_digest(ctx, lock, *registry);
    }
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
                      {"base_digest", lock.header.base_digest},
                      {"packages", pkgs}});
      return;
    }
    ctx.print(fmt::format("wrote {} ({}, {})", out.filename().string(),
                          count_of(lock.packages.size(), "package"), lock.digest().substr(0, 19)));
  });
}

}  // namespace mlbox::cli
