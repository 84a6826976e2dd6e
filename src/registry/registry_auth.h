// Authorization for one registry host: Basic, or the Bearer token flow learnt from the
// registry's WWW-Authenticate challenge (realm, service, scope). Tokens are fetched with a
// GET (Basic credentials when known) or, for an identity token, the OAuth2 POST
// (grant_type=refresh_token), and cached per scope set until shortly before they expire.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "net/http_client.h"
#include "registry/auth_challenge.h"
#include "registry/credentials.h"

namespace mlbox::registry {

class RegistryAuth {
 public:
  RegistryAuth(net::HttpClient& http, std::string host, std::optional<Credential> credential);

  // Learns the challenge from a 401 response; false when it carries none mlbox supports.
  bool learn(const net::Response& unauthorized);
  // The Authorization header value for these scopes ("" when anonymous / no challenge yet).
  std::string authorization(const std::vector<std::string>& scopes);
  // Drops the cached token for these scopes (the registry refused it).
  void forget(const std::vector<std::string>& scopes);
  bool has_credential() const { return credential_.has_value(); }
  const std::optional<Credential>& credential() const { return credential_; }
  // Tokens fetched so far (tests check the cache works).
  int tokens_fetched() const { return tokens_fetched_; }

 private:
  struct Token {
    std::string value;
    std::chrono::steady_clock::time_point expires;
  };
  Token fetch_token(const std::vector<std::string>& scopes);
  std::string basic() const;

  net::HttpClient& http_;
  std::string host_;
  std::optional<Credential> credential_;
  std::mutex mutex_;
  std::optional<AuthChallenge> challenge_;
  std::map<std::string, Token> tokens_;
  int tokens_fetched_ = 0;
};

}  // namespace mlbox::registry
