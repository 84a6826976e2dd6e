// mlbox jobs: the job history ($MLBOX_HOME/jobs.db), newest first, with what each job ran
// on, how long it took and what it cost by the catalog's list prices.
#include <ctime>

#include <fmt/format.h>

#include "backends/job_backends.h"
#include "cli/commands.h"
#include "jobs/job_summary.h"

namespace mlbox::cli {

void set_jobs_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("jobs", "List jobs");
  auto limit = std::make_shared<size_t>(20);
  auto all = std::make_shared<bool>(false);
  cmd->add_option("-n,--limit", *limit, "Show at most N jobs (default 20)");
  cmd->add_flag("-a,--all", *all, "Show every job");
  cmd->callback([&ctx, limit, all] {
    jobs::JobStore store;
    auto list = backends::list_jobs(store, *all ? 0 : *limit);
    const int64_t now = std::time(nullptr);
    if (ctx.options.json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& r : list) {
        auto j = r.to_json();
        j["machine"] = jobs::machine_of(r);
        int64_t d = jobs::duration_seconds(r, now);
        j["duration_seconds"] = d < 0 ? nlohmann::json(nullptr) : nlohmann::json(d);
        auto c = jobs::cost_of(r, now);
        j["estimated_cost_usd"] = c ? nlohmann::json(*c) : nlohmann::json(nullptr);
        arr.push_back(j);
      }
      ctx.print_json(arr);
      return;
    }
    if (list.empty()) {
      ctx.print("no jobs yet (start one with: mlbox run, or mlbox submit)");
      return;
    }
    const char* row = "{:<17} {:<26} {:<16} {:<9} {:<22} {:<10} {:>3} {:>7} {:>8}\n";
    std::string out = fmt::format(fmt::runtime(row), "CREATED", "ID", "NAME", "BACKEND", "MACHINE",
                                  "STATE", "ATT", "TIME", "COST");
    for (const auto& r : list) {
      auto c = jobs::cost_of(r, now);
      std::string created = r.created_at.substr(0, 16);
      if (created.size() > 10) created[10] = ' ';
      out += fmt::format(fmt::runtime(row), created, r.id, r.name.substr(0, 16), r.backend,
                         jobs::machine_of(r).substr(0, 22), jobs::to_string(r.state),
                         r.attempts.size(), jobs::format_duration(jobs::duration_seconds(r, now)),
                         c ? fmt::format("${:.2f}", *c) : "-");
    }
    ctx.print(out);
  });
}

}  // namespace mlbox::cli
