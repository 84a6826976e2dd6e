// mlbox jobs: the job history ($MLBOX_HOME/jobs.db), newest first.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cloud/local/local_runner.h"
#include "jobs/job_store.h"

namespace mlbox::cli {

void set_jobs_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("jobs", "List jobs");
  auto limit = std::make_shared<size_t>(0);
  cmd->add_option("-n,--limit", *limit, "Show at most N jobs");
  cmd->callback([&ctx, limit] {
    jobs::JobStore store;
    auto all = store.list(*limit);
    for (auto& r : all) local::reconcile_local_job(store, r);
    if (ctx.options.json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& r : all) arr.push_back(r.to_json());
      ctx.print_json(arr);
      return;
    }
    if (all.empty()) {
      ctx.print("no jobs yet (start one with: mlbox run)");
      return;
    }
    std::string out = fmt::format("{:<24} {:<10} {:<9} {:>8} {:<20} {}\n", "ID", "BACKEND", "STATE",
                                  "ATTEMPTS", "CREATED", "NAME");
    for (const auto& r : all) {
      out += fmt::format("{:<24} {:<10} {:<9} {:>8} {:<20} {}\n", r.id, r.backend,
                         jobs::to_string(r.state), r.attempts.size(), r.created_at, r.name);
    }
    ctx.print(out);
  });
}

}  // namespace mlbox::cli
