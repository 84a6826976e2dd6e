#include "cli/commands.h"

namespace mlbox::cli {

void set_submit_command(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto* cmd =
      app.add_subcommand("submit", "Submit the training job (Vertex AI, AWS Batch or local)");
  cmd->allow_extras();
  cmd->callback([] { not_available("submit", "job submission arrives with the job backends"); });
}

}  // namespace mlbox::cli
