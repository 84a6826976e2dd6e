// Flags that push and pull share: TLS trust, insecure registries, parallelism.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/context.h"
#include "net/http_client.h"

namespace mlbox::cli {

struct RegistryFlags {
  int jobs = 4;
  std::vector<std::string> insecure_registries;
  std::string ca_cert;
};

void add_registry_flags(CLI::App* cmd, RegistryFlags& flags);
net::TransportConfig transport_config(const RegistryFlags& flags);

}  // namespace mlbox::cli
