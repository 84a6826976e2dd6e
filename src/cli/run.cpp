#include "cli/commands.h"

namespace mlbox::cli {

void set_run_command(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto* cmd = app.add_subcommand("run", "Run the training job on this machine");
  cmd->allow_extras();
  cmd->callback([] { not_available("run", "the local backend arrives with the runner"); });
}

}  // namespace mlbox::cli
