// mlbox sweep status|logs|cancel|fetch SWEEP: a sweep after it started. Status asks the
// engine (a local sweep's scheduler keeps the record itself) and prints the trials table;
// logs prints a trial's lines (every trial's without --trial); cancel stops one trial or the
// whole sweep; fetch copies a trial's outputs (the best trial's without --trial).
#include <fmt/format.h>

#include "backends/sweep_engines.h"
#include "cli/sweep_commands.h"
#include "cli/sweep_table.h"
#include "jobs/fetch_destination.h"
#include "jobs/output_copy.h"
#include "sweep/trial_ranking.h"
#include "util/command_words.h"
#include "util/error.h"

namespace mlbox::cli {

namespace {

struct Steer {
  jobs::JobStore jobs;
  sweep::SweepStore sweeps;
  sweep::SweepRecord record;
  std::unique_ptr<sweep::SweepEngine> engine;

  Steer(Context& ctx, const std::string& id) : record(sweeps.resolve(id)) {
    engine = backends::engine_for_sweep(record, ctx.observer(), jobs, sweeps);
  }
  // A local sweep's record has one writer, its scheduler (the engine settles and saves it
  // itself when the scheduler is gone); a cloud sweep's is written by whoever asks the cloud.
  void refresh() {
    engine->refresh(record);
    if (record.backend != "local") sweeps.save(record);
  }
};

void status(Context& ctx, const std::string& id) {
  Steer s(ctx, id);
  s.refresh();
  ctx.options.json ? ctx.print_json(sweep::sweep_summary_json(s.record))
                   : ctx.print(render_sweep_table(s.record));
}

void logs(Context& ctx, const std::string& id, const std::string& trial) {
  Steer s(ctx, id);
  nlohmann::json all = nlohmann::json::array();
  std::string text;
  for (const auto& t : s.record.trials) {
    if (!trial.empty() && t.id != trial && t.job_id != trial) continue;
    auto lines = s.engine->logs(s.record, t);
    if (trial.empty()) text += fmt::format("── {} ({}) ──\n", t.id, t.state);
    for (const auto& l : lines) {
      text += l.text + "\n";
      all.push_back(
          {{"trial", t.id}, {"attempt", l.attempt}, {"timestamp", l.timestamp}, {"text", l.text}});
    }
  }
  if (!trial.empty()) s.record.trial(trial);  // an unknown trial is an error, not silence
  if (!text.empty() && text.back() == '\n') text.pop_back();
  ctx.options.json ? ctx.print_json(all) : ctx.print(text);
}

void cancel(Context& ctx, const std::string& id, const std::string& trial) {
  Steer s(ctx, id);
  if (!trial.empty()) s.record.trial(trial);
  s.engine->cancel(s.record, trial);
  s.refresh();
  ctx.observer().info(trial.empty() ? "cancelling sweep " + s.record.id
                                    : "cancelling " + s.record.id + " " + trial);
  ctx.options.json ? ctx.print_json(sweep::sweep_summary_json(s.record))
                   : ctx.print(render_sweep_table(s.record));
}

void fetch(Context& ctx, const std::string& id, const std::string& trial, const std::string& out,
           bool force) {
  Steer s(ctx, id);
  s.refresh();
  const sweep::TrialRecord* t = nullptr;
  if (trial.empty()) {
    auto best = sweep::best_trial(s.record);
    if (!best) {
      throw Error(ErrorKind::kUsage, "sweep " + s.record.id + " has no best trial yet",
                  "name one: mlbox sweep fetch " + s.record.id + " --trial trial-001");
    }
    t = &s.record.trials[*best];
  } else {
    t = &s.record.trial(trial);
  }
  std::filesystem::path dest = out.empty()
                                   ? ctx.project_dir() / "mlbox-output" / s.record.id / t->id
                                   : std::filesystem::path(out);
  jobs::check_fetch_destination(dest, ctx.project_dir(), force);
  auto files = s.engine->fetch(s.record, *t, dest);
  auto bytes = jobs::total_size(files);
  if (ctx.options.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& p : files) arr.push_back(p.string());
    ctx.print_json({{"sweep", s.record.id},
                    {"trial", t->id},
                    {"dest", dest.string()},
                    {"files", arr},
                    {"bytes", bytes}});
    return;
  }
  ctx.print(fmt::format("{} {}: {}, {} -> {}", s.record.id, t->id, count_of(files.size(), "file"),
                        count_of(bytes, "byte"), dest.string()));
}

}  // namespace

void add_sweep_steer_commands(CLI::App* sweep, Context& ctx) {
  struct Args {
    std::string id, trial, out;
    bool force = false;
  };
  auto a = std::make_shared<Args>();
  auto* st = sweep->add_subcommand("status", "A sweep's trials: parameters, metric, state, cost");
  st->add_option("sweep", a->id, "Sweep id (a unique prefix is enough)")->required();
  st->callback([&ctx, a] { status(ctx, a->id); });
  auto* lg = sweep->add_subcommand("logs", "A sweep's logs (one trial's with --trial)");
  lg->add_option("sweep", a->id, "Sweep id")->required();
  lg->add_option("--trial", a->trial, "trial-NNN");
  lg->callback([&ctx, a] { logs(ctx, a->id, a->trial); });
  auto* cn = sweep->add_subcommand("cancel", "Cancel a sweep (one trial with --trial)");
  cn->add_option("sweep", a->id, "Sweep id")->required();
  cn->add_option("--trial", a->trial, "trial-NNN");
  cn->callback([&ctx, a] { cancel(ctx, a->id, a->trial); });
  auto* fe = sweep->add_subcommand("fetch", "Copy a trial's outputs (the best trial's by default)");
  fe->add_option("sweep", a->id, "Sweep id")->required();
  fe->add_option("--trial", a->trial, "trial-NNN (default: the best)");
  fe->add_option("-o,--output", a->out, "Destination (default: ./mlbox-output/<sweep>/<trial>)");
  fe->add_flag("--force", a->force, "Fetch into a non-empty folder");
  fe->callback([&ctx, a] { fetch(ctx, a->id, a->trial, a->out, a->force); });
}

}  // namespace mlbox::cli
