#include "cli/registry_credentials.h"

#include "cloud/gcp/artifact_registry_credentials.h"

namespace mlbox::cli {

std::shared_ptr<registry::CredentialProvider> make_registry_credentials(
    const net::TransportConfig& transport, Observer& observer) {
  auto chain = std::make_shared<registry::ChainedCredentials>();
  chain->add(std::make_shared<registry::DockerConfigCredentials>());
  // Token endpoints are Google hosts: no --insecure-registry or --ca-cert of the registry.
  net::TransportConfig google = transport;
  google.insecure_hosts.clear();
  google.ca_file = net::TransportConfig::ca_file_from("");  // not --ca-cert (the registry's CA)
  chain->add(std::make_shared<cloud::gcp::ArtifactRegistryCredentials>(
      [google, &observer] { return cloud::gcp::AdcCredentials::for_process(google, observer); },
      observer));
  return chain;
}

}  // namespace mlbox::cli
