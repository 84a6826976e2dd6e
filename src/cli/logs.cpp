#include "cli/commands.h"

namespace mlbox::cli {

void set_logs_command(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto* cmd = app.add_subcommand("logs", "Show a job's logs");
  cmd->allow_extras();
  cmd->callback([] { not_available("logs", "job history arrives with the job backends"); });
}

}  // namespace mlbox::cli
