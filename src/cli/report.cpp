// mlbox report JOB [JOB...] [-o FILE] [--format html|md]: a run card per job — metric charts
// (several jobs overlaid), hyperparameters, image and lock digests, machine and GPU, the
// attempts timeline, duration, cost and outputs — as one self-contained HTML file, or as
// Markdown for CI job summaries (standard output unless -o). A sweep id stands for its trials
// (local jobs, or a cloud sweep's trial outputs fetched from the bucket) and adds a
// parameter-vs-metric chart per parameter and the trials table.
#include <fmt/format.h>

#include <ctime>
#include <optional>

#include "backends/job_backends.h"
#include "backends/sweep_engines.h"
#include "cli/commands.h"
#include "report/report_render.h"
#include "report/run_card.h"
#include "sweep/sweep_record.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/utc_time.h"

namespace mlbox::cli {

namespace {

bool local_outputs(const jobs::JobRecord& r) {
  return !r.output_dir.empty() && r.output_dir.find("://") == std::string::npos;
}

}  // namespace

void set_report_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("report", "Write a run card (HTML or Markdown) for jobs");
  auto ids = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("html");
  cmd->add_option("jobs", *ids, "Job ids (unique prefixes); several are overlaid")->required();
  cmd->add_option("-o,--output", *out,
                  "File to write (default: mlbox-report-<job>.html; Markdown: standard output)");
  cmd->add_option("--format", *format, "html (self-contained page) or md (CI job summaries)")
      ->check(CLI::IsMember({"html", "md"}));
  cmd->callback([&ctx, ids, out, format] {
    jobs::JobStore store;
    sweep::SweepStore sweeps;
    std::vector<jobs::JobRecord> records;
    std::vector<report::RunCard> cards;
    std::vector<std::unique_ptr<fs::TempDir>> copies;
    std::optional<report::SweepView> view;
    int64_t now = static_cast<int64_t>(std::time(nullptr));
    std::string first_id;
    for (const auto& id : *ids) {
      // A sweep stands for its trials: their curves overlaid, and a parameter-vs-metric chart.
      if (id.starts_with("sweep-")) {
        sweep::SweepRecord sw = sweeps.resolve(id);
        if (view) {
          throw Error(ErrorKind::kUsage, "one sweep per report (" + view->id + ", " + sw.id + ")",
                      "write one report per sweep");
        }
        auto engine = backends::engine_for_sweep(sw, ctx.observer(), store, sweeps);
        engine->refresh(sw);
        if (sw.backend != "local") sweeps.save(sw);  // a local sweep's scheduler writes its own
        view = report::sweep_view(sw);
        if (first_id.empty()) first_id = sw.id;
        for (const auto& t : sw.trials) {
          if (sw.backend == "local") {
            if (!t.job_id.empty()) records.push_back(store.resolve(t.job_id));
            continue;
          }
          if (t.job_id.empty() && t.started_at.empty()) continue;  // never started
          // A cloud trial: its outputs (without checkpoints) into a temporary folder.
          copies.push_back(std::make_unique<fs::TempDir>());
          std::filesystem::path outputs = copies.back()->path() / "outputs";
          try {
            engine->fetch(sw, t, outputs);
          } catch (const Error& e) {
            ctx.observer().warn(
                fmt::format("{} {}: outputs not readable ({}); its card shows the "
                            "sweep's record only",
                            sw.id, t.id, e.what()));
          }
          cards.push_back(report::load_trial_card(sw, t, outputs, now));
        }
        continue;
      }
      records.push_back(store.resolve(id));
      if (first_id.empty()) first_id = records.back().id;
    }
    if (records.empty() && cards.empty()) throw Error(ErrorKind::kUsage, "no job to report on");
    for (const auto& r : records) {
      std::filesystem::path outputs = r.output_dir;
      if (!local_outputs(r)) {
        // A cloud job: its outputs (without checkpoints) are fetched to a temporary folder.
        copies.push_back(std::make_unique<fs::TempDir>());
        outputs = copies.back()->path() / "outputs";
        try {
          backends::backend_for_job(r, ctx.observer())->fetch(r, outputs, false);
        } catch (const Error& e) {
          ctx.observer().warn(
              fmt::format("{}: outputs not readable ({}); the card shows the "
                          "record only",
                          r.id, e.what()));
        }
      }
      cards.push_back(report::load_run_card(r, outputs, now));
    }
    const report::SweepView* sv = view ? &*view : nullptr;
    std::string text = *format == "md" ? report::render_markdown(cards, sv)
                                       : report::render_html(cards, format_rfc3339(now), sv);
    std::string dest = *out;
    if (dest.empty() && *format == "html") dest = "mlbox-report-" + first_id + ".html";
    if (dest.empty()) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      return;
    }
    fs::write_file_atomic(dest, text);
    if (ctx.options.json) {
      ctx.print_json({{"file", dest}, {"format", *format}, {"jobs", *ids}});
    } else {
      ctx.print(
          fmt::format("wrote {} ({} job{})", dest, cards.size(), cards.size() == 1 ? "" : "s"));
    }
  });
}

}  // namespace mlbox::cli
