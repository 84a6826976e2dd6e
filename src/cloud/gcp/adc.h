// Google Application Default Credentials: an OAuth2 access token for the cloud-platform
// scope, found the way Google's client libraries and gcloud find one:
//   1. $GOOGLE_APPLICATION_CREDENTIALS -> a service_account key (RS256 JWT bearer grant to
//      its token_uri), an authorized_user file (refresh_token grant), an external_account
//      file (workload identity federation: a CI's OIDC token exchanged at the Security Token
//      Service, then optionally a service account impersonated) or an
//      impersonated_service_account file (external_account.h);
//   2. gcloud's application_default_credentials.json ($CLOUDSDK_CONFIG or ~/.config/gcloud),
//      written by `gcloud auth application-default login`;
//   3. the GCE/GKE metadata server ($GCE_METADATA_HOST, default metadata.google.internal),
//      tried last with a short timeout; $NO_GCE_CHECK=true skips it.
// Tokens are cached until shortly before they expire. No token, key or JWT is ever logged.
// The quota project (GOOGLE_CLOUD_QUOTA_PROJECT, else the file's quota_project_id) goes to
// API calls as x-goog-user-project (google_api.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "config/settings.h"
#include "core/events.h"
#include "net/http_client.h"

namespace mlbox::cloud::gcp {

inline constexpr const char* kCloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";
inline constexpr const char* kDefaultTokenUri = "https://oauth2.googleapis.com/token";
inline constexpr const char* kAdcHint =
    "run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a "
    "service-account key file";

struct AccessToken {
  std::string value;
  int64_t expires_at = 0;   // seconds since the epoch
  int64_t obtained_at = 0;  // when it was issued (for the refresh margin)
};

// Sends one request (with its retry policy); injected so unit tests need no server.
using HttpSend = std::function<net::Outcome(const net::Request&, const net::RetryPolicy&)>;

// Where the credentials were found.
struct AdcSource {
  enum class Kind {
    kNone,
    kServiceAccount,
    kAuthorizedUser,
    kMetadata,
    kExternalAccount,
    kImpersonated
  };
  Kind kind = Kind::kNone;
  std::string file;              // the JSON file (service account / authorized user)
  std::string account;           // client_email for a service account
  std::string token_uri;         // where tokens come from (metadata: the token URL)
  std::string quota_project;     // the file's quota_project_id
  std::string describe() const;  // "service-account key /p/key.json (sa@p.iam...)"
};

class AdcCredentials {
 public:
  struct Options {
    config::EnvGetter env;
    HttpSend send;                 // token endpoints
    HttpSend metadata_send;        // the metadata server (plain HTTP, short timeouts)
    std::function<int64_t()> now;  // seconds since the epoch
  };
  explicit AdcCredentials(Options options);
  // Production wiring: its own HttpClients (the metadata one allows plain HTTP to the
  // metadata host and gives up connecting after 2 s), the process environment.
  static std::unique_ptr<AdcCredentials> for_process(const net::TransportConfig& transport,
                                                     Observer& observer);
  ~AdcCredentials();

  // A valid access token (cached; refreshed when less than 5 minutes, or half its life,
  // remain). Throws Error(kAuth) naming the file/URL, HTTP status and the OAuth error, with
  // what to do. Thread-safe.
  std::string access_token();
  // Whether any source is configured (a file exists, or the metadata server answers).
  // Does not fetch a token; cheap after the first call.
  bool available();
  // The source found (kind kNone before the first access_token()/available()).
  AdcSource source();
  // GOOGLE_CLOUD_QUOTA_PROJECT, else the credentials file's quota_project_id; "" when
  // neither (API calls then bill the credentials' own project).
  std::string quota_project();
  // Why no source was found ("GOOGLE_APPLICATION_CREDENTIALS is not set; ... not found").
  std::string not_found_reason();

 private:
  AdcSource discover();  // holds mutex_
  AccessToken fetch(const AdcSource& source);
  AccessToken fetch_service_account(const nlohmann::json& key_json, const std::string& file,
                                    const std::string& what);
  AccessToken fetch_authorized_user(const nlohmann::json& j, const std::string& file,
                                    const std::string& token_uri, const std::string& what);
  AccessToken fetch_external_account(const AdcSource& source);
  AccessToken fetch_impersonated(const AdcSource& source);
  AccessToken fetch_metadata(const AdcSource& source);
  AccessToken post_token_form(const std::string& token_uri, const std::string& form,
                              const std::string& what);
  std::optional<std::string> env(const std::string& name) const;

  Options options_;
  std::mutex mutex_;
  bool discovered_ = false;
  AdcSource source_;
  std::string not_found_;
  std::optional<AccessToken> cached_;
  std::string metadata_host_;
  // Owned clients when made by for_process().
  std::unique_ptr<net::HttpClient> http_;
  std::unique_ptr<net::HttpClient> metadata_http_;
};

// --- pieces, public for tests --------------------------------------------------------

struct ServiceAccountKey {
  std::string client_email;
  std::string private_key;  // PEM
  std::string private_key_id;
  std::string token_uri;
  std::string project_id;
};
// Parses a service_account JSON key; throws Error(kAuth) naming `file` and the missing field.
ServiceAccountKey parse_service_account_key(const nlohmann::json& j, const std::string& file);

// The signed JWT assertion: header {alg RS256, typ JWT, kid}, claims {iss, scope, aud, iat,
// exp = iat + 3600}. Throws Error(kAuth) when the PEM key cannot be read.
std::string make_jwt_assertion(const ServiceAccountKey& key, const std::string& scope, int64_t now);

// A token endpoint's reply -> token (expires_in relative to `now`); Error(kAuth) for an
// OAuth error reply, naming `what` (file or URL), the HTTP status, error and description.
AccessToken parse_token_response(const net::Outcome& outcome, const std::string& what,
                                 const std::string& url, int64_t now);

}  // namespace mlbox::cloud::gcp
