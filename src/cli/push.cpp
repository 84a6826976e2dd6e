#include "cli/commands.h"

namespace mlbox::cli {

void set_push_command(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto* cmd = app.add_subcommand("push", "Push the image to its registry");
  cmd->allow_extras();
  cmd->callback(
      [] { not_available("push", "until then: skopeo copy oci:.mlbox/oci docker://REF"); });
}

}  // namespace mlbox::cli
