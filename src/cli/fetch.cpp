#include "cli/commands.h"

namespace mlbox::cli {

void set_fetch_command(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto* cmd = app.add_subcommand("fetch", "Fetch a job's model and outputs");
  cmd->allow_extras();
  cmd->callback([] { not_available("fetch", "job history arrives with the job backends"); });
}

}  // namespace mlbox::cli
