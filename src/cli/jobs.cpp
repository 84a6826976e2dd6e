#include "cli/commands.h"

namespace mlbox::cli {

void set_jobs_command(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto* cmd = app.add_subcommand("jobs", "List jobs");
  cmd->allow_extras();
  cmd->callback([] { not_available("jobs", "job history arrives with the job backends"); });
}

}  // namespace mlbox::cli
