// mlbox cancel JOB [--preempt]: stop the job. For a local job, SIGTERM to its container or
// process; --preempt acts like a spot reclaim: the attempt checkpoints and stops, and the
// next one resumes.
#include "backends/job_backends.h"
#include "cli/commands.h"
#include "jobs/job_control.h"

namespace mlbox::cli {

void set_cancel_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("cancel", "Stop a running job");
  auto id = std::make_shared<std::string>();
  auto request = std::make_shared<jobs::CancelRequest>();
  cmd->add_option("job", *id, "Job id (a unique prefix is enough)")->required();
  cmd->add_flag("--preempt", request->preempt,
                "Simulate a preemption: stop this attempt, start the next (resumes)");
  cmd->add_option("--grace", request->grace_seconds,
                  "Seconds between SIGTERM and SIGKILL (default 30)");
  cmd->callback([&ctx, id, request] {
    jobs::JobStore store;
    jobs::JobRecord r = store.resolve(*id);
    r = jobs::cancel_job(store, *backends::backend_for_job(r, ctx.observer()), r, *request);
    if (ctx.options.json) {
      ctx.print_json(
          {{"id", r.id}, {"state", jobs::to_string(r.state)}, {"preempt", request->preempt}});
    } else {
      ctx.print(r.id + " " + (request->preempt ? "preempted" : "cancelled"));
    }
  });
}

}  // namespace mlbox::cli
