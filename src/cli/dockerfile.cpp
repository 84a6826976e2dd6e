// mlbox dockerfile: write .mlbox/Dockerfile and stage its build context (.mlbox/context),
// ready for docker, buildah or podman.
#include <fmt/format.h>

#include "build/plan.h"
#include "build/staged_context.h"
#include "build/trainer_bundle.h"
#include "cli/commands.h"
#include "dockerfile/render.h"
#include "util/fs.h"

namespace mlbox::cli {

void set_dockerfile_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "dockerfile", "Write .mlbox/Dockerfile and stage its build context in .mlbox/context");
  auto output = std::make_shared<std::string>();
  auto wheels = std::make_shared<std::vector<std::string>>();
  cmd->add_option("-o,--output", *output, "Dockerfile path (default: .mlbox/Dockerfile)");
  cmd->add_option("--find-links", *wheels,
                  "Stage wheels from DIR so the image installs the lock offline (repeatable)");
  cmd->callback([&ctx, output, wheels] {
    auto& obs = ctx.observer();
    const auto project = ctx.project_dir();
    build::BuildPlan plan = build::plan_build(project, obs);

    SystemCommandRunner runner;
    auto bundle = build::ensure_trainer_bundle(build::locate_trainer_binary(),
                                               fs::mlbox_home() / "cache" / "trainer", runner, obs);
    build::StageInputs in{project, project / "mlbox.lock", bundle.dir, {}};
    for (const auto& w : *wheels) in.wheel_dirs.push_back(std::filesystem::absolute(w));
    auto staged = build::stage_context(plan.manifest, in, project / ".mlbox" / "context", obs);

    dockerfile::DockerfileInputs df;
    df.base = plan.base;
    df.python_version = plan.manifest.python.version;
    df.system_packages = plan.manifest.system_packages;
    df.install_deps = !plan.lock.packages.empty();
    df.offline_wheels = staged.has_wheels;
    df.cmd = plan.cmd;
    df.labels = plan.labels;
    std::string text = dockerfile::render_dockerfile(df);
    std::filesystem::path out =
        output->empty() ? project / ".mlbox" / "Dockerfile" : std::filesystem::absolute(*output);
    fs::write_file_atomic(out, text);
    if (ctx.options.json) {
      ctx.print_json({{"dockerfile", out.string()},
                      {"context", staged.dir.string()},
                      {"base", plan.base},
                      {"lock_digest", plan.lock_digest},
                      {"code_files", staged.code_files}});
      return;
    }
    ctx.print(fmt::format(
        "wrote {}\nbuild context: {} ({} code files)\nbuild it with: "
        "buildah bud -f {} {}",
        out.string(), staged.dir.string(), staged.code_files, out.string(), staged.dir.string()));
  });
}

}  // namespace mlbox::cli
