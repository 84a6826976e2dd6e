// One registry host: picks the scheme (/v2/ ping), holds its authorization, and sends
// requests with the right Authorization for their scopes, re-authorizing once on a 401.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "net/http_client.h"
#include "registry/credentials.h"
#include "registry/registry_auth.h"

namespace mlbox::registry {

class RegistryClient {
 public:
  // `host` as references name it ("127.0.0.1:5000", "docker.io"); credentials may be null.
  RegistryClient(net::HttpClient& http, std::string host, CredentialProvider* credentials);

  // GET /v2/: chooses https (plain http only for loopback or --insecure-registry hosts)
  // and learns the auth challenge. Throws on failure. Called once, before anything else.
  void ping();

  // Sends with authorization for `scopes`. On a 401 learns the challenge and tries once more
  // with a fresh token. Transport failures and HTTP errors are returned, not thrown.
  net::Outcome send(net::Request request, const std::vector<std::string>& scopes,
                    const net::RetryPolicy& policy = net::RetryPolicy{});

  // "https://host" as chosen by ping().
  const std::string& base_url() const { return base_url_; }
  const std::string& host() const { return host_; }
  // An absolute URL for a Location header value (absolute, or relative to the registry).
  std::string absolute(std::string_view location) const;
  net::HttpClient& http() { return http_; }
  RegistryAuth& auth() { return auth_; }

 private:
  net::HttpClient& http_;
  std::string host_;      // as named
  std::string api_host_;  // where the API lives (docker.io -> registry-1.docker.io)
  std::string base_url_;
  RegistryAuth auth_;
};

std::string pull_scope(const std::string& repository);
std::string push_scope(const std::string& repository);

}  // namespace mlbox::registry
