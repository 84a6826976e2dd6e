#include "cli/commands.h"

namespace mlbox::cli {

void set_cancel_command(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto* cmd = app.add_subcommand("cancel", "Cancel a job");
  cmd->allow_extras();
  cmd->callback([] { not_available("cancel", "job history arrives with the job backends"); });
}

}  // namespace mlbox::cli
