// mlbox watch JOB [--json] [--interval S]: the job's stage, attempts, elapsed time, cost so
// far and, per metric, the latest value with a sparkline, redrawn until the job ends. Off a
// terminal, or with --json, one JSON object per update instead. Exits like `submit --follow`:
// 0 when the job succeeded, 7 when it failed or was cancelled.
#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "backends/job_backends.h"
#include "cli/commands.h"
#include "cli/watch_loop.h"
#include "jobs/job_control.h"
#include "report/run_card.h"
#include "report/watch_view.h"
#include "util/error.h"
#include "util/fs.h"

namespace mlbox::cli {

void watch_job(Context& ctx, jobs::JobStore& store, jobs::JobRecord r, const WatchOptions& o) {
  auto backend = backends::backend_for_job(r, ctx.observer());
  bool screen = ctx.stdout_is_tty() && !o.json && !ctx.options.json;
  double every = o.interval > 0 ? o.interval : std::max(0.5, backend->poll_interval_seconds());
  fs::TempDir copy;
  std::string last_warning;
  while (true) {
    if (!jobs::is_terminal(r.state)) r = jobs::refresh_job(store, *backend, r);
    std::filesystem::path outputs = r.output_dir;
    if (r.output_dir.find("://") != std::string::npos) {
      // A cloud job: its metrics files as the bucket holds them now.
      outputs = copy.path() / "outputs";
      try {
        backend->fetch_metrics(r, outputs);
      } catch (const Error& e) {
        std::string warning = fmt::format("outputs of {} not readable yet: {}", r.id, e.what());
        if (warning != last_warning) ctx.observer().warn(warning);  // once, not every update
        last_warning = warning;
      }
    }
    auto card = report::load_run_card(r, outputs, static_cast<int64_t>(std::time(nullptr)));
    if (screen) {
      std::string text = "\x1b[H\x1b[2J" + report::watch_screen(card);
      std::fwrite(text.data(), 1, text.size(), stdout);
    } else {
      std::string line = report::watch_json(card).dump() + "\n";
      std::fwrite(line.data(), 1, line.size(), stdout);
    }
    std::fflush(stdout);
    if (!o.follow) return;
    if (jobs::is_terminal(r.state)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(every * 1000)));
  }
  if (r.state != jobs::JobState::kSucceeded) {
    throw Error(ErrorKind::kJobFailed, r.id + " ended " + jobs::to_string(r.state),
                "mlbox logs " + r.id + " shows why");
  }
}

void set_watch_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("watch", "Follow a job's metrics, stage and cost until it ends");
  auto id = std::make_shared<std::string>();
  auto opts = std::make_shared<WatchOptions>();
  cmd->add_option("job", *id, "Job id (a unique prefix is enough)")->required();
  cmd->add_option("--interval", opts->interval,
                  "Seconds between updates (default: the backend's poll interval)");
  cmd->add_flag("--json", opts->json, "One JSON object per update (also when not on a terminal)");
  cmd->callback([&ctx, id, opts] {
    jobs::JobStore store;
    watch_job(ctx, store, store.resolve(*id), *opts);
  });
}

}  // namespace mlbox::cli
