#include "cli/commands.h"

namespace mlbox::cli {

void set_config_command(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto* cmd = app.add_subcommand("config", "Show the effective configuration");
  cmd->allow_extras();
  cmd->callback([] { not_available("config", "x"); });
}

}  // namespace mlbox::cli
