// The registry credential chain push, pull and build use: ECR (GetAuthorizationToken with
// the AWS credential chain), then docker/containers auth files (their credHelpers may name
// any helper), then Google Artifact Registry / GCR (Application Default Credentials). Each
// cloud provider answers only for its own hosts.
#pragma once

#include <memory>

#include "core/events.h"
#include "net/http_client.h"
#include "registry/credentials.h"

namespace mlbox::cli {

// `http` and `observer` (thread-safe, a LockedObserver) must outlive the provider.
std::shared_ptr<registry::CredentialProvider> make_registry_credentials(net::HttpClient& http,
                                                                        Observer& observer);

}  // namespace mlbox::cli
