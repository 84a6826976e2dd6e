// mlbox cancel JOB [--preempt]: SIGTERM to the job's container or process. --preempt acts
// like a spot reclaim: the attempt checkpoints and stops, and the next one resumes.
#include "cli/cloud_backends.h"
#include "cli/commands.h"
#include "cloud/local/local_runner.h"
#include "jobs/job_store.h"
#include "util/error.h"

namespace mlbox::cli {

void set_cancel_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("cancel", "Stop a running job");
  auto id = std::make_shared<std::string>();
  auto preempt = std::make_shared<bool>(false);
  auto grace = std::make_shared<int>(30);
  cmd->add_option("job", *id, "Job id (a unique prefix is enough)")->required();
  cmd->add_flag("--preempt", *preempt,
                "Simulate a preemption: stop this attempt, start the next (resumes)");
  cmd->add_option("--grace", *grace, "Seconds between SIGTERM and SIGKILL (default 30)");
  cmd->callback([&ctx, id, preempt, grace] {
    jobs::JobStore store;
    if (jobs::JobRecord job = store.resolve(*id); job.backend != "local") {
      if (*preempt) {
        throw Error(ErrorKind::kUsage, "--preempt is for local jobs",
                    "cloud jobs are preempted by the cloud; mlbox cancel stops them");
      }
      if (jobs::is_terminal(job.state)) {
        throw Error(ErrorKind::kUsage,
                    "job " + job.id + " has already ended (" + jobs::to_string(job.state) + ")");
      }
      auto backend = make_cloud_backend(job.backend, settings_for_job(job), ctx.observer());
      backend->cancel(job);
      store.set_state(job.id, jobs::JobState::kCancelled);
      if (ctx.options.json) {
        ctx.print_json({{"id", job.id}, {"state", "CANCELLED"}});
      } else {
        ctx.print(job.id + " cancelled");
      }
      return;
    }
    local::cancel_job(store, *id, *preempt, ctx.observer(), *grace);
    auto r = store.resolve(*id);
    if (ctx.options.json) {
      ctx.print_json({{"id", r.id}, {"state", jobs::to_string(r.state)}, {"preempt", *preempt}});
    } else {
      ctx.print(r.id + " " + (*preempt ? "preempted" : "cancelled"));
    }
  });
}

}  // namespace mlbox::cli
