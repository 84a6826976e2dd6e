#include "cli/commands.h"

namespace mlbox::cli {

void set_freeze_command(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto* cmd = app.add_subcommand("freeze", "Pin every dependency into mlbox.lock");
  cmd->allow_extras();
  cmd->callback([] { not_available("freeze", "x"); });
}

}  // namespace mlbox::cli
