#include "cli/commands.h"

namespace mlbox::cli {

void set_init_command(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto* cmd = app.add_subcommand("init", "Write mlbox.yaml for the project in this folder");
  cmd->allow_extras();
  cmd->callback([] { not_available("init", "x"); });
}

}  // namespace mlbox::cli
