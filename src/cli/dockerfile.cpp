#include "cli/commands.h"

namespace mlbox::cli {

void set_dockerfile_command(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto* cmd = app.add_subcommand("dockerfile", "Write .mlbox/Dockerfile");
  cmd->allow_extras();
  cmd->callback([] { not_available("dockerfile", "x"); });
}

}  // namespace mlbox::cli
