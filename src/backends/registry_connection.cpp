#include "backends/registry_connection.h"

#include <algorithm>

#include "cloud/aws/ecr_credentials.h"
#include "cloud/gcp/artifact_registry_credentials.h"
#include "config/settings.h"

namespace mlbox::backends {

net::TransportConfig transport_config(const RegistryOptions& options) {
  net::TransportConfig config;
  config.ca_file = net::TransportConfig::ca_file_from(options.ca_cert);
  config.insecure_hosts = options.insecure_registries;
  config.max_connections = std::max(options.jobs, 1) + 2;
  config.max_connections_per_host = config.max_connections;
  config.user_agent = std::string("mlbox/") + MLBOX_VERSION;
  return config;
}

std::shared_ptr<registry::CredentialProvider> make_registry_credentials(net::HttpClient& http,
                                                                        Observer& observer) {
  auto chain = std::make_shared<registry::ChainedCredentials>();
  // ECR first: a fresh GetAuthorizationToken beats a `docker login` that lapsed after 12 h.
  chain->add(std::make_shared<cloud::aws::EcrCredentials>(http, config::process_env()));
  chain->add(std::make_shared<registry::DockerConfigCredentials>());
  // Token endpoints are Google hosts: no --insecure-registry or --ca-cert of the registry.
  net::TransportConfig google = net::TransportConfig::for_cloud_api();
  chain->add(std::make_shared<cloud::gcp::ArtifactRegistryCredentials>(
      [google, &observer] { return cloud::gcp::AdcCredentials::for_process(google, observer); },
      observer));
  return chain;
}

RegistryConnection::RegistryConnection(const std::string& host, const RegistryOptions& options,
                                       Observer& observer)
    : observer_(observer),
      http_(transport_config(options), observer_),
      credentials_(make_registry_credentials(http_, observer_)),
      client_(http_, host, credentials_.get()) {
  http_.set_trace_headers(options.trace_headers);
  client_.ping();
}

}  // namespace mlbox::backends
