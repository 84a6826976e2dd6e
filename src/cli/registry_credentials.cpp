#include "cli/registry_credentials.h"

#include "cloud/aws/ecr_credentials.h"
#include "cloud/gcp/artifact_registry_credentials.h"
#include "config/settings.h"

namespace mlbox::cli {

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

}  // namespace mlbox::cli
