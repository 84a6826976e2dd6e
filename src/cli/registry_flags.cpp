#include "cli/registry_flags.h"

namespace mlbox::cli {

void add_registry_flags(CLI::App* cmd, RegistryFlags& flags) {
  cmd->add_option("-j,--jobs", flags.jobs, "Blobs transferred in parallel")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--insecure-registry", flags.insecure_registries,
                  "Allow plain HTTP and unverified TLS for this HOST[:PORT] (repeatable); "
                  "loopback registries may use plain HTTP without it");
  cmd->add_option("--ca-cert", flags.ca_cert,
                  "CA bundle that signs the registry's certificate (default: $SSL_CERT_FILE, "
                  "else the system's)")
      ->check(CLI::ExistingFile);
}

}  // namespace mlbox::cli
