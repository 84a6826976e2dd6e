// mlbox report JOB [JOB...] [-o FILE] [--format html|md]: a run card per job — metric charts
// (several jobs overlaid), hyperparameters, image and lock digests, machine and GPU, the
// attempts timeline, duration, cost and outputs — as one self-contained HTML file, or as
// Markdown for CI job summaries (standard output unless -o).
#include <fmt/format.h>

#include <ctime>

#include "backends/job_backends.h"
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
    std::vector<jobs::JobRecord> records;
    for (const auto& id : *ids) {
      // A local sweep stands for its trials' jobs: their curves overlaid on one card.
      if (id.starts_with("sweep-")) {
        sweep::SweepRecord sw = sweep::SweepStore().resolve(id);
        if (sw.backend != "local") {
          throw Error(
              ErrorKind::kUsage, "mlbox report covers the trials of local sweeps only",
              "fetch the trials (mlbox sweep fetch " + sw.id + " --trial T) to look at them");
        }
        for (const auto& t : sw.trials) {
          if (!t.job_id.empty()) records.push_back(store.resolve(t.job_id));
        }
        continue;
      }
      records.push_back(store.resolve(id));
    }
    if (records.empty()) throw Error(ErrorKind::kUsage, "no job to report on");
    int64_t now = static_cast<int64_t>(std::time(nullptr));
    std::vector<report::RunCard> cards;
    std::vector<std::unique_ptr<fs::TempDir>> copies;
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
    std::string text = *format == "md" ? report::render_markdown(cards)
                                       : report::render_html(cards, format_rfc3339(now));
    std::string dest = *out;
    if (dest.empty() && *format == "html") dest = "mlbox-report-" + records.front().id + ".html";
    if (dest.empty()) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      return;
    }
    fs::write_file_atomic(dest, text);
    if (ctx.options.json) {
      ctx.print_json({{"file", dest}, {"format", *format}, {"jobs", *ids}});
    } else {
      ctx.print(
          fmt::format("wrote {} ({} job{})", dest, records.size(), records.size() == 1 ? "" : "s"));
    }
  });
}

}  // namespace mlbox::cli
