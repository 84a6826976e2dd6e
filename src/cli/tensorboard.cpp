// mlbox tensorboard JOB [--print]: the job's TensorBoard event files in a local folder (a
// local job's own; a cloud job's fetched to $MLBOX_HOME/tensorboard/<id>, again at every call
// so a running job's new events arrive), then TensorBoard on it when `tensorboard` is on PATH
// (this process becomes it), else the command to run.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "backends/job_backends.h"
#include "cli/commands.h"
#include "jobs/job_store.h"
#include "util/error.h"
#include "util/strings.h"

namespace mlbox::cli {

namespace {

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  for (const auto& dir : split(path ? path : "", ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace

void set_tensorboard_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("tensorboard", "Open a job's TensorBoard logs in TensorBoard");
  auto id = std::make_shared<std::string>();
  auto print_only = std::make_shared<bool>(false);
  cmd->add_option("job", *id, "Job id (a unique prefix is enough)")->required();
  cmd->add_flag("--print", *print_only, "Only sync the logs and print the command");
  cmd->callback([&ctx, id, print_only] {
    jobs::JobStore store;
    jobs::JobRecord r = store.resolve(*id);
    std::filesystem::path outputs = r.output_dir;
    if (r.output_dir.find("://") != std::string::npos) {
      outputs = jobs::JobStore::default_path().parent_path() / "tensorboard" / r.id;
      backends::backend_for_job(r, ctx.observer())->fetch(r, outputs, false);
    }
    std::filesystem::path logdir = outputs / "tensorboard";
    if (!std::filesystem::is_directory(logdir)) logdir = outputs;
    std::vector<std::string> argv = {"tensorboard", "--logdir", logdir.string()};
    std::string binary = find_on_path("tensorboard");
    if (ctx.options.json) {
      ctx.print_json({{"id", r.id},
                      {"logdir", logdir.string()},
                      {"command", argv},
                      {"tensorboard_installed", !binary.empty()}});
      return;
    }
    if (*print_only || binary.empty()) {
      if (binary.empty()) {
        ctx.observer().warn("tensorboard is not installed (pip install tensorboard); run:");
      }
      ctx.print(fmt::format("tensorboard --logdir '{}'", logdir.string()));
      return;
    }
    std::fflush(stdout);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(binary.c_str(), args.data());
    throw Error(ErrorKind::kInternal, "cannot start " + binary + ": " + std::strerror(errno),
                "run it yourself: tensorboard --logdir " + logdir.string());
  });
}

}  // namespace mlbox::cli
