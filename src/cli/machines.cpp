#include "cli/commands.h"

namespace mlbox::cli {

void set_machines_command(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto* cmd = app.add_subcommand("machines", "List GPU machine types with prices");
  cmd->allow_extras();
  cmd->callback([] { not_available("machines", "x"); });
}

}  // namespace mlbox::cli
