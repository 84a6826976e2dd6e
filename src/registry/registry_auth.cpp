#include "registry/registry_auth.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "registry/registry_error.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/redact.h"
#include "util/strings.h"

namespace mlbox::registry {

RegistryAuth::RegistryAuth(net::HttpClient& http, std::string host,
                           std::optional<Credential> credential)
    : http_(http), host_(std::move(host)), credential_(std::move(credential)) {}

bool RegistryAuth::learn(const net::Response& unauthorized) {
  auto header = unauthorized.header("www-authenticate");
  if (!header) return false;
  for (auto& c : parse_www_authenticate(*header)) {
    if (c.scheme == "bearer" && !c.param("realm").empty()) {
      std::lock_guard lock(mutex_);
      challenge_ = c;
      return true;
    }
  }
  for (auto& c : parse_www_authenticate(*header)) {
    if (c.scheme == "basic") {
      std::lock_guard lock(mutex_);
      challenge_ = c;
      return true;
    }
  }
  return false;
}

std::string RegistryAuth::basic() const {
  return "Basic " + base64_encode(credential_->username + ":" + credential_->password);
}

static std::string scope_key(std::vector<std::string> scopes) {
  std::sort(scopes.begin(), scopes.end());
  return join(scopes, " ");
}

std::string RegistryAuth::authorization(const std::vector<std::string>& scopes) {
  std::lock_guard lock(mutex_);
  if (!challenge_) return {};
  if (challenge_->scheme == "basic") {
    if (!credential_ || credential_->username.empty()) return {};
    return basic();
  }
  std::string key = scope_key(scopes);
  auto now = std::chrono::steady_clock::now();
  auto it = tokens_.find(key);
  if (it != tokens_.end() && it->second.expires > now) return "Bearer " + it->second.value;
  Token t = fetch_token(scopes);
  tokens_[key] = t;
  return "Bearer " + t.value;
}

void RegistryAuth::forget(const std::vector<std::string>& scopes) {
  std::lock_guard lock(mutex_);
  tokens_.erase(scope_key(scopes));
}

RegistryAuth::Token RegistryAuth::fetch_token(const std::vector<std::string>& scopes) {
  const AuthChallenge& c = *challenge_;
  std::string realm = c.param("realm");
  std::string service = c.param("service");
  // The realm comes from the registry's answer: credentials go there only over TLS, or over
  // plain HTTP to a host the user allowed (loopback, --insecure-registry).
  std::string scheme = net::url_scheme(realm);
  if (scheme != "https" &&
      !(scheme == "http" && http_.plain_http_allowed(net::url_authority(realm)))) {
    throw Error(ErrorKind::kAuth,
                fmt::format("{} names the token service {}; refused: tokens and credentials are "
                            "sent only over https",
                            host_, redact_url(realm)),
                scheme == "http" ? fmt::format("pass --insecure-registry {} only if you trust "
                                               "that host over plain HTTP",
                                               net::url_authority(realm))
                                 : "check the registry's auth configuration (its token realm)");
  }
  net::Request req;
  req.headers.emplace_back("Accept", "application/json");
  bool oauth = credential_ && !credential_->identity_token.empty();
  if (oauth) {
    // OAuth2 refresh-token grant (docker's "identity token").
    req.method = "POST";
    req.url = realm;
    std::string form = "grant_type=refresh_token&client_id=mlbox&refresh_token=" +
                       percent_encode(credential_->identity_token);
    if (!service.empty()) form += "&service=" + percent_encode(service);
    if (!scopes.empty()) form += "&scope=" + percent_encode(join(scopes, " "));
    req.body = form;
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  } else {
    std::string url = realm;
    char sep = realm.find('?') == std::string::npos ? '?' : '&';
    if (!service.empty()) {
      url += sep + std::string("service=") + percent_encode(service);
      sep = '&';
    }
    for (const auto& s : scopes) {
      url += sep + std::string("scope=") + percent_encode(s);
      sep = '&';
    }
    req.url = url;
    if (credential_ && !credential_->username.empty()) {
      req.headers.emplace_back("Authorization", basic());
    }
  }
  net::Outcome o = http_.send(req);
  if (!o.ok()) throw transport_error(req, o, fmt::format("getting a token for {}", host_));
  if (o.response.status == 401 || o.response.status == 403) {
    std::string who =
        credential_ ? "the credentials from " + credential_->source : "anonymous access";
    throw Error(
        ErrorKind::kAuth,
        fmt::format("token service {} refused {} for {} (HTTP {}{})", redact_url(realm), who,
                    join(scopes, " "), o.response.status, error_code_suffix(o.response.body)),
        credential_ ? fmt::format("log in again: docker login {} (or check "
                                  "REGISTRY_AUTH_FILE / DOCKER_CONFIG)",
                                  host_)
                    : fmt::format("log in first: docker login {} (credentials are "
                                  "read from ~/.docker/config.json, $DOCKER_CONFIG, "
                                  "$REGISTRY_AUTH_FILE)",
                                  host_));
  }
  if (o.response.status != 200) {
    throw http_error(req, o, fmt::format("getting a token for {}", host_));
  }
  nlohmann::json j = nlohmann::json::parse(o.response.body, nullptr, false);
  std::string token;
  if (j.is_object()) {
    if (j.contains("token") && j["token"].is_string()) token = j["token"].get<std::string>();
    if (token.empty() && j.contains("access_token") && j["access_token"].is_string()) {
      token = j["access_token"].get<std::string>();
    }
  }
  if (token.empty()) {
    throw Error(ErrorKind::kRemote,
                fmt::format("token service {} answered without a token", redact_url(realm)),
                "check that the registry's auth realm points at a token service");
  }
  int64_t expires_in = 60;
  if (j.contains("expires_in") && j["expires_in"].is_number_integer()) {
    expires_in = std::max<int64_t>(j["expires_in"].get<int64_t>(), 60);
  }
  ++tokens_fetched_;
  http_.observer().debug(
      fmt::format("token for {} ({}) valid {}s", host_, join(scopes, " "), expires_in));
  // Renew a little early so a token never expires mid-request.
  auto margin = std::chrono::seconds(std::min<int64_t>(30, expires_in / 5));
  return Token{token, std::chrono::steady_clock::now() + std::chrono::seconds(expires_in) - margin};
}

}  // namespace mlbox::registry
