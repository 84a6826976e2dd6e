#include "cli/commands.h"

namespace mlbox::cli {

void set_build_command(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto* cmd = app.add_subcommand("build", "Build the OCI image into .mlbox/oci");
  cmd->allow_extras();
  cmd->callback([] {
    not_available(
        "build",
        "until then: 'mlbox dockerfile' and build .mlbox/Dockerfile with buildah or docker");
  });
}

}  // namespace mlbox::cli
