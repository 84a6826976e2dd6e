// mlbox dockerfile: write .mlbox/Dockerfile and stage its build context (.mlbox/context),
// ready for docker, buildah or podman.
#include <fmt/format.h>

#include "builder/dockerfile_context.h"
#include "builder/plan.h"
#include "cli/commands.h"

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
    builder::BuildPlan plan = builder::plan_build(project, obs);

    SystemCommandRunner runner;
    builder::DockerfileContextOptions o;
    if (!output->empty()) o.dockerfile = std::filesystem::absolute(*output);
    for (const auto& w : *wheels) o.wheel_dirs.push_back(std::filesystem::absolute(w));
    auto written = builder::write_dockerfile_context(plan, o, runner, obs);
    const auto& out = written.dockerfile;
    const auto& staged = written.context;
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
