// `mlbox sweep status|logs|cancel|fetch SWEEP`, registered under `mlbox sweep`.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace mlbox::cli {

void add_sweep_steer_commands(CLI::App* sweep, Context& ctx);

}  // namespace mlbox::cli
