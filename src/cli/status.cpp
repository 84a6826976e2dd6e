#include "cli/commands.h"

namespace mlbox::cli {

void set_status_command(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto* cmd = app.add_subcommand("status", "Show a job's state");
  cmd->allow_extras();
  cmd->callback([] { not_available("status", "job history arrives with the job backends"); });
}

}  // namespace mlbox::cli
