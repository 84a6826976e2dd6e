#include "cli/commands.h"

namespace mlbox::cli {

void set_pull_command(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto* cmd = app.add_subcommand("pull", "Pull an image into the OCI store");
  cmd->allow_extras();
  cmd->callback(
      [] { not_available("pull", "until then: skopeo copy docker://REF oci:.mlbox/oci"); });
}

}  // namespace mlbox::cli
