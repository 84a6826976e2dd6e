// mlbox fetch JOB [-o DIR] [--force]: copy the job's outputs (model, history.json,
// tensorboard, summary.json; checkpoints with --checkpoints) to DIR, a new or empty folder
// unless --force (which overwrites only the files fetched). Nothing is ever deleted.
#include <fmt/format.h>

#include "backends/job_backends.h"
#include "cli/commands.h"
#include "jobs/fetch_destination.h"
#include "jobs/output_copy.h"
#include "util/command_words.h"

namespace mlbox::cli {

void set_fetch_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("fetch", "Copy a job's outputs to a local directory");
  auto id = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto checkpoints = std::make_shared<bool>(false);
  auto force = std::make_shared<bool>(false);
  cmd->add_option("job", *id, "Job id (a unique prefix is enough)")->required();
  cmd->add_option("-o,--output", *out, "Destination (default: ./mlbox-output/<job id>)");
  cmd->add_flag("--checkpoints", *checkpoints, "Also fetch checkpoints/");
  cmd->add_flag("--force", *force,
                "Fetch into a non-empty folder: overwrite the files fetched, keep the rest");
  cmd->callback([&ctx, id, out, checkpoints, force] {
    jobs::JobStore store;
    jobs::JobRecord r = store.resolve(*id);
    std::filesystem::path dest =
        out->empty() ? ctx.project_dir() / "mlbox-output" / r.id : std::filesystem::path(*out);
    jobs::check_fetch_destination(dest, ctx.project_dir(), *force);
    auto files = backends::backend_for_job(r, ctx.observer())->fetch(r, dest, *checkpoints);
    auto bytes = jobs::total_size(files);
    if (ctx.options.json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& p : files) arr.push_back(p.string());
      ctx.print_json({{"id", r.id}, {"dest", dest.string()}, {"files", arr}, {"bytes", bytes}});
      return;
    }
    ctx.print(fmt::format("{}: {}, {} -> {}", r.id, count_of(files.size(), "file"),
                          count_of(bytes, "byte"), dest.string()));
  });
}

}  // namespace mlbox::cli
