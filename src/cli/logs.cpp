// mlbox logs [JOB] [-f] [--metrics]: the job's output, every attempt in order; -f follows
// until it ends. With --metrics, the job's metrics and stage instead, as `mlbox watch` shows
// them (-f: until it ends, like `mlbox watch JOB`; without: one update).
#include <cstdio>

#include "backends/job_backends.h"
#include "cli/commands.h"
#include "cli/watch_loop.h"
#include "jobs/job_control.h"

namespace mlbox::cli {

void set_logs_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("logs", "Print a job's output (-f: follow)");
  auto id = std::make_shared<std::string>();
  auto follow = std::make_shared<bool>(false);
  auto metrics = std::make_shared<bool>(false);
  cmd->add_option("job", *id, "Job id (a unique prefix is enough; default: the newest job)");
  cmd->add_flag("-f,--follow", *follow, "Keep printing until the job ends");
  cmd->add_flag("--metrics", *metrics,
                "Show the job's metrics, stage and cost instead (with -f: as `mlbox watch`)");
  cmd->callback([&ctx, id, follow, metrics] {
    jobs::JobStore store;
    jobs::JobRecord r = jobs::resolve_job_or_latest(store, *id);
    if (*metrics) {
      WatchOptions o;
      o.follow = *follow;
      watch_job(ctx, store, r, o);
      return;
    }
    auto backend = backends::backend_for_job(r, ctx.observer());
    if (ctx.options.json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& l : jobs::read_all_logs(*backend, r)) {
        arr.push_back({{"attempt", l.attempt}, {"timestamp", l.timestamp}, {"text", l.text}});
      }
      ctx.print_json({{"id", r.id}, {"state", jobs::to_string(r.state)}, {"lines", arr}});
      return;
    }
    jobs::JobRecord end = jobs::stream_logs(
        store, *backend, r, *follow,
        [](const std::string& line) {
          std::fwrite(line.data(), 1, line.size(), stdout);
          std::fputc('\n', stdout);
          std::fflush(stdout);
        },
        ctx.observer());
    if (std::string why = jobs::failure_summary(*backend, end, 0).reason; !why.empty()) {
      ctx.observer().warn("job " + end.id + " failed: " + why);
    }
  });
}

}  // namespace mlbox::cli
