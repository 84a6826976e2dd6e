// One set_<name>_command per subcommand, each defined in its own file in src/cli/.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace mlbox::cli {

void set_init_command(CLI::App& app, Context& ctx);
void set_freeze_command(CLI::App& app, Context& ctx);
void set_dockerfile_command(CLI::App& app, Context& ctx);
void set_build_command(CLI::App& app, Context& ctx);
void set_push_command(CLI::App& app, Context& ctx);
void set_pull_command(CLI::App& app, Context& ctx);
void set_submit_command(CLI::App& app, Context& ctx);
void set_run_command(CLI::App& app, Context& ctx);
void set_logs_command(CLI::App& app, Context& ctx);
void set_status_command(CLI::App& app, Context& ctx);
void set_jobs_command(CLI::App& app, Context& ctx);
void set_cancel_command(CLI::App& app, Context& ctx);
void set_fetch_command(CLI::App& app, Context& ctx);
void set_report_command(CLI::App& app, Context& ctx);
void set_tensorboard_command(CLI::App& app, Context& ctx);
void set_watch_command(CLI::App& app, Context& ctx);
void set_machines_command(CLI::App& app, Context& ctx);
void set_config_command(CLI::App& app, Context& ctx);
void set_completion_command(CLI::App& app, Context& ctx);
void set_sweep_command(CLI::App& app, Context& ctx);

}  // namespace mlbox::cli
