// mlbox init: look at the project folder and write a commented mlbox.yaml.
#include <cstdio>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "core/embedded.h"
#include "manifest/image_ref.h"
#include "manifest/init_scan.h"
#include "manifest/load.h"
#include "util/error.h"
#include "util/fs.h"

namespace mlbox::cli {

namespace {

struct InitOptions {
  std::string entry;
  std::string framework;
  std::string name;
  bool yes = false;
  bool force = false;
};

bool confirm(const std::string& question) {
  fmt::print(stderr, "{} [Y/n] ", question);
  std::fflush(stderr);
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer.empty() || answer == "y" || answer == "Y" || answer == "yes";
}

void run_init(Context& ctx, const InitOptions& opts) {
  auto dir = ctx.project_dir();
  if (!std::filesystem::is_directory(dir))
    throw Error(ErrorKind::kUsage, dir.string() + ": no such directory", "pass -C DIR");
  auto path = ctx.manifest_path();
  if (std::filesystem::exists(path) && !opts.force) {
    throw Error(ErrorKind::kConfig, path.string() + " already exists; not overwriting it",
                "pass --force to replace it, or edit it by hand");
  }

  manifest::ProjectScan scan = manifest::scan_project(dir);
  if (!opts.entry.empty()) {
    std::filesystem::path entry = opts.entry;
    std::filesystem::path on_disk = entry.is_absolute() ? entry : dir / entry;
    if (!std::filesystem::is_regular_file(on_disk))
      throw Error(ErrorKind::kUsage, "--entry " + opts.entry + ": no such file in " + dir.string(),
                  "name a script relative to the project folder, e.g. --entry train.py");
    scan.entry = std::filesystem::absolute(on_disk)
                     .lexically_normal()
                     .lexically_relative(std::filesystem::absolute(dir).lexically_normal())
                     .generic_string();
    if (scan.entry.empty() || scan.entry.starts_with(".."))
      throw Error(ErrorKind::kUsage, "--entry " + opts.entry + " is outside the project folder",
                  "the entry script must be part of the image's code");
    scan.notes.push_back("entry script " + scan.entry + " (--entry)");
  }
  if (!opts.framework.empty()) {
    if (opts.framework != scan.framework) scan.framework_version.clear();
    scan.framework = opts.framework;
    scan.notes.push_back("framework " + opts.framework + " (--framework)");
  }
  if (!opts.name.empty()) {
    if (!manifest::valid_path_component(opts.name))
      throw Error(ErrorKind::kUsage, "--name " + opts.name + " is not a valid image name",
                  "use lowercase letters, digits, and '-', '_', '.' between them, e.g. " +
                      manifest::image_name_for(opts.name));
    scan.name = opts.name;
  }

  std::string text = manifest::render_manifest(scan, load_template("mlbox.yaml.tmpl"));
  // What init writes must load; a failure here is a bug in the template or the scan.
  std::vector<manifest::Issue> issues;
  {
    manifest::Manifest check;
    issues = manifest::check(text, path, check);
  }
  if (!issues.empty())
    throw Error(ErrorKind::kInternal, "the generated mlbox.yaml does not validate: " +
                                          issues.front().format("mlbox.yaml"));

  bool interactive = ctx.stdin_is_tty() && !opts.yes && !ctx.options.json;
  if (interactive) {
    for (const auto& n : scan.notes) fmt::print(stderr, "  found: {}\n", n);
    if (!confirm(fmt::format("Write {} (framework {}, entry {})?", path.string(), scan.framework,
                             scan.entry.empty() ? "none" : scan.entry))) {
      ctx.observer().info("nothing written");
      return;
    }
  }
  fs::write_file_atomic(path, text);

  if (ctx.options.json) {
    ctx.print_json({{"path", path.string()},
                    {"name", scan.name},
                    {"python_version", scan.python_version},
                    {"requirements", scan.requirements_file},
                    {"packages", scan.packages},
                    {"framework", scan.framework},
                    {"framework_version", scan.framework_version},
                    {"entry", scan.entry},
                    {"entry_candidates", scan.entry_candidates},
                    {"notes", scan.notes}});
    return;
  }
  std::string out;
  if (!interactive)
    for (const auto& n : scan.notes) out += "  found: " + n + "\n";
  out += fmt::format("wrote {}\n", path.string());
  out += "next: review it, then 'mlbox freeze' and 'mlbox build'\n";
  ctx.print(out);
}

}  // namespace

void set_init_command(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<InitOptions>();
  auto* cmd = app.add_subcommand("init", "Write mlbox.yaml for the project in this folder");
  cmd->add_option("--entry", opts->entry,
                  "Entry script (default: train.py, main.py, or a "
                  "script with if __name__ == \"__main__\")");
  cmd->add_option("--framework", opts->framework, "Framework (default: detected)")
      ->check(CLI::IsMember({"pytorch", "tensorflow", "none"}));
  cmd->add_option("--name", opts->name, "Image name (default: from pyproject or the folder)");
  cmd->add_flag("-y,--yes", opts->yes, "Do not ask; implied when stdin is not a terminal");
  cmd->add_flag("-f,--force", opts->force, "Overwrite an existing mlbox.yaml");
  cmd->callback([&ctx, opts] { run_init(ctx, *opts); });
}

}  // namespace mlbox::cli
