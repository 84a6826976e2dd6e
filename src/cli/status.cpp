// mlbox status JOB: state, attempts and where the outputs are.
#include <fmt/format.h>

#include "backends/job_backends.h"
#include "cli/commands.h"
#include "jobs/job_control.h"

namespace mlbox::cli {

void set_status_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("status", "Show a job's state and attempts");
  auto id = std::make_shared<std::string>();
  cmd->add_option("job", *id, "Job id (a unique prefix is enough)")->required();
  cmd->callback([&ctx, id] {
    jobs::JobStore store;
    jobs::JobRecord r = store.resolve(*id);
    r = jobs::refresh_job(store, *backends::backend_for_job(r, ctx.observer()), r);
    if (ctx.options.json) {
      ctx.print_json(r.to_json());
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
    ctx.print(out);
  });
}

}  // namespace mlbox::cli
