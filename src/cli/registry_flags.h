// Flags that push, pull, build and freeze share: TLS trust, insecure registries, parallelism.
#pragma once

#include <CLI/CLI.hpp>

#include "backends/registry_connection.h"

namespace mlbox::cli {

using RegistryFlags = backends::RegistryOptions;

void add_registry_flags(CLI::App* cmd, RegistryFlags& flags);

}  // namespace mlbox::cli
