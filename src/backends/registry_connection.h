// Connecting to a registry the way push, pull, build and freeze all do: TLS trust and
// insecure hosts from the flags, the credential chain every cloud plugs into (ECR, then
// docker/containers auth files and their helpers, then Google Artifact Registry / GCR via
// ADC; each cloud answers only for its own hosts), and a ping that settles scheme and auth.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/events.h"
#include "core/locked_observer.h"
#include "net/http_client.h"
#include "registry/credentials.h"
#include "registry/registry_client.h"

namespace mlbox::backends {

struct RegistryOptions {
  int jobs = 4;  // blobs transferred in parallel
  std::vector<std::string> insecure_registries;
  std::string ca_cert;
  bool trace_headers = false;  // -vv
};

net::TransportConfig transport_config(const RegistryOptions& options);

// `http` and `observer` (thread-safe, a LockedObserver) must outlive the provider.
std::shared_ptr<registry::CredentialProvider> make_registry_credentials(net::HttpClient& http,
                                                                        Observer& observer);

// A pinged client for one registry host, with the HTTP client, credentials and thread-safe
// observer it needs kept alive as long as it is.
class RegistryConnection {
 public:
  // Throws mlbox::Error when the registry cannot be reached or refuses the credentials.
  RegistryConnection(const std::string& host, const RegistryOptions& options, Observer& observer);
  RegistryConnection(const RegistryConnection&) = delete;
  RegistryConnection& operator=(const RegistryConnection&) = delete;

  Observer& observer() { return observer_; }  // safe from worker threads
  net::HttpClient& http() { return http_; }
  registry::RegistryClient& client() { return client_; }

 private:
  LockedObserver observer_;
  net::HttpClient http_;
  std::shared_ptr<registry::CredentialProvider> credentials_;
  registry::RegistryClient client_;
};

}  // namespace mlbox::backends
