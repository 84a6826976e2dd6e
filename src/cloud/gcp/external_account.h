// Keyless Google credentials (workload identity federation), as google-auth reads them:
//  - "external_account" ADC files: a subject token from credential_source (a file, or a URL
//    with headers; format text, or json with subject_token_field_name) exchanged at
//    token_url (Security Token Service, google.identity.sts.v1 ExchangeToken:
//    grant_type token-exchange, requested_token_type access_token, subject_token_type,
//    audience, scope), then, with service_account_impersonation_url, traded for a service
//    account's token (IAM Credentials generateAccessToken, Bearer = the STS token);
//  - "impersonated_service_account" ADC files: source_credentials' token traded at
//    service_account_impersonation_url, with delegates.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cloud/gcp/adc.h"

namespace mlbox::cloud::gcp {

inline constexpr const char* kTokenExchangeGrant =
    "urn:ietf:params:oauth:grant-type:token-exchange";
inline constexpr const char* kAccessTokenType = "urn:ietf:params:oauth:token-type:access_token";

struct ExternalAccount {
  std::string file;  // the ADC file, for messages
  std::string audience;
  std::string subject_token_type;
  std::string token_url;
  std::string impersonation_url;  // "" when the STS token is used as is
  int lifetime_seconds = 3600;
  std::string source_file;  // credential_source.file
  std::string source_url;   // credential_source.url
  net::Headers source_headers;
  std::string format_type = "text";  // "text" | "json"
  std::string subject_token_field_name;
};

// Error(kAuth) naming the file and the missing or unsupported field (executable and AWS
// credential sources are not supported).
ExternalAccount parse_external_account(const nlohmann::json& j, const std::string& file);

// The subject token from the file or URL. Error(kAuth) when missing, empty or not in the
// declared format (the token itself is never quoted).
std::string read_subject_token(const ExternalAccount& account, const HttpSend& send);

// The token-exchange form body.
std::string token_exchange_body(const ExternalAccount& account, const std::string& subject_token,
                                const std::string& scope);

// POST token_url; Error(kAuth) with STS's error and error_description.
AccessToken exchange_token(const HttpSend& send, const ExternalAccount& account,
                           const std::string& subject_token, int64_t now);

// POST <url> (IAM Credentials generateAccessToken) {scope, lifetime, delegates} with
// `bearer`; reply {accessToken, expireTime}. `what` names the credentials in errors.
AccessToken generate_access_token(const HttpSend& send, const std::string& url,
                                  const std::string& bearer,
                                  const std::vector<std::string>& delegates, int lifetime_seconds,
                                  const std::string& what, int64_t now);

// The service account's e-mail in a generateAccessToken URL ("" when it has none).
std::string impersonated_account(const std::string& url);

}  // namespace mlbox::cloud::gcp
