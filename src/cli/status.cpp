// mlbox status [JOB]: state, attempts, where the outputs are, and why a failed job failed.
#include <fmt/format.h>

#include "backends/job_backends.h"
#include "cli/commands.h"
#include "jobs/job_control.h"
#include "util/command_words.h"

namespace mlbox::cli {

void set_status_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("status", "Show a job's state and attempts");
  auto id = std::make_shared<std::string>();
  cmd->add_option("job", *id, "Job id (a unique prefix is enough; default: the newest job)");
  cmd->callback([&ctx, id] {
    jobs::JobStore store;
    jobs::JobRecord r = jobs::resolve_job_or_latest(store, *id);
    auto backend = backends::backend_for_job(r, ctx.observer());
    r = jobs::refresh_job(store, *backend, r);
    jobs::FailureSummary failure = jobs::failure_summary(*backend, r);
    if (ctx.options.json) {
      nlohmann::json j = r.to_json();
      if (!failure.empty()) {
        j["failure"] = {{"reason", failure.reason}, {"last_lines", failure.last_lines}};
      }
      ctx.print_json(j);
      return;
    }
    std::string out = fmt::format(
        "job:      {}\nname:     {}\nbackend:  {}\nstate:    {}\nimage:    {}\ndigest:   {}\n"
        "output:   {}\ncreated:  {}\nupdated:  {}\n",
        r.id, r.name, r.backend, jobs::to_string(r.state), r.image_ref, r.image_digest,
        r.output_dir, r.created_at, r.updated_at);
    if (std::string msg = r.details.value("status_message", ""); !msg.empty()) {
      out += "message:  " + msg + "\n";
    }
    if (std::string url = r.details.value("console_url", ""); !url.empty()) {
      out += "console:  " + url + "\n";
    }
    for (const auto& a : r.attempts) {
      out += fmt::format("attempt {}: {} {} -> {} exit {}\n", a.number,
                         a.outcome.empty() ? "running" : a.outcome, a.started_at,
                         a.ended_at.empty() ? "..." : a.ended_at,
                         a.exit_code ? std::to_string(*a.exit_code) : "-");
    }
    if (!failure.reason.empty()) out += "reason:   " + failure.reason + "\n";
    if (!failure.last_lines.empty()) {
      out += "last " + count_of(failure.last_lines.size(), "line") + " of its output:\n";
      for (const auto& l : failure.last_lines) out += "  | " + l + "\n";
    }
    ctx.print(out);
  });
}

}  // namespace mlbox::cli
