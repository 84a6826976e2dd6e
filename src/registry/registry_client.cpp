#include "registry/registry_client.h"

#include <fmt/format.h>

#include "registry/registry_error.h"
#include "util/error.h"
#include "util/strings.h"

namespace mlbox::registry {

namespace {

std::string api_host_for(const std::string& host) {
  if (host == "docker.io" || host == "index.docker.io") return "registry-1.docker.io";
  return host;
}

std::optional<Credential> lookup(CredentialProvider* credentials, const std::string& host) {
  return credentials ? credentials->for_registry(host) : std::nullopt;
}

}  // namespace

std::string pull_scope(const std::string& repository) {
  return "repository:" + repository + ":pull";
}
std::string push_scope(const std::string& repository) {
  return "repository:" + repository + ":pull,push";
}

RegistryClient::RegistryClient(net::HttpClient& http, std::string host,
                               CredentialProvider* credentials)
    : http_(http),
      host_(to_lower(host)),
      api_host_(api_host_for(host_)),
      base_url_("https://" + api_host_),
      auth_(http, host_, lookup(credentials, host_)) {}

void RegistryClient::ping() {
  std::vector<std::string> schemes;
  bool plain_ok = http_.plain_http_allowed(api_host_);
  if (net::is_loopback_host(api_host_) && !http_.insecure(api_host_)) {
    schemes = {"http", "https"};  // local registries mostly serve plain HTTP
  } else if (plain_ok) {
    schemes = {"https", "http"};
  } else {
    schemes = {"https"};
  }
  net::RetryPolicy policy;
  policy.max_attempts = 3;
  std::optional<Error> first_error;
  for (const auto& scheme : schemes) {
    net::Request req;
    req.url = scheme + "://" + api_host_ + "/v2/";
    net::Outcome o = http_.send(req, policy);
    bool usable = o.ok() && (o.response.status == 200 || o.response.status == 401);
    if (!usable) {
      if (!first_error) first_error = request_error(req, o, "contacting registry " + host_);
      continue;  // e.g. a TLS registry answering 400 to plain HTTP, or the reverse
    }
    base_url_ = scheme + "://" + api_host_;
    if (o.response.status == 401 && !auth_.learn(o.response)) {
      throw Error(ErrorKind::kAuth,
                  fmt::format("registry {} requires authorization but sent no usable "
                              "WWW-Authenticate challenge ({})",
                              host_, net::describe(req)),
                  "mlbox supports Basic and Bearer token authentication");
    }
    http_.observer().debug(
        fmt::format("registry {}: {} ({})", host_, base_url_,
                    o.response.status == 401 ? "authorization required" : "anonymous"));
    return;
  }
  if (schemes.size() == 1 && first_error && first_error->kind() == ErrorKind::kNetwork) {
    throw Error(ErrorKind::kNetwork, first_error->what(),
                fmt::format("{}; if {} serves plain HTTP, pass --insecure-registry {}",
                            first_error->hint(), host_, host_));
  }
  throw *first_error;
}

net::Outcome RegistryClient::send(net::Request request, const std::vector<std::string>& scopes,
                                  const net::RetryPolicy& policy) {
  for (int attempt = 0;; ++attempt) {
    net::Request req = request;
    std::string authorization = auth_.authorization(scopes);
    if (!authorization.empty()) req.headers.emplace_back("Authorization", authorization);
    net::Outcome o = http_.send(req, policy);
    if (attempt == 0 && o.ok() && o.response.status == 401) {
      if (!authorization.empty()) auth_.forget(scopes);
      if (auth_.learn(o.response)) continue;
    }
    return o;
  }
}

std::string RegistryClient::absolute(std::string_view location) const {
  if (location.find("://") != std::string_view::npos) return std::string(location);
  if (starts_with(location, "/")) return base_url_ + std::string(location);
  return base_url_ + "/" + std::string(location);
}

}  // namespace mlbox::registry
