// AWS IAM Identity Center (SSO) profiles: the access token `aws sso login` cached in
// ~/.aws/sso/cache/<sha1>.json (sha1 of the sso_session name, or of sso_start_url for a
// legacy profile), traded for role credentials at the portal's GetRoleCredentials
// (GET /federation/credentials?role_name=&account_id=, header x-amz-sso_bearer_token).
// mlbox does not log in itself: a missing or stale cache says to run `aws sso login`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "cloud/aws/credentials.h"
#include "cloud/aws/sts_requests.h"

namespace mlbox::cloud::aws {

struct SsoSettings {
  std::string session_name;  // "" for a legacy profile (sso_start_url in the profile)
  std::string start_url;
  std::string region;  // sso_region
  std::string account_id;
  std::string role_name;
  std::string profile;  // for messages and the `aws sso login --profile` hint
};

// Whether the profile uses SSO (sso_session or sso_start_url).
bool profile_uses_sso(const AwsProfile& profile);
// The profile's SSO settings (an sso_session's start URL and region from its
// "[sso-session NAME]" section); Error(kConfig) naming the missing setting.
SsoSettings sso_settings(const AwsConfigChain& config, const AwsProfile& profile);

// ~/.aws/sso/cache/<lowercase hex sha1 of the session name or start URL>.json
std::filesystem::path sso_cache_file(const std::filesystem::path& home, const SsoSettings& sso);

// The cached access token; Error(kAuth) saying to run `aws sso login` when the file is
// missing, unreadable or expired at `now`.
std::string sso_cached_token(const std::filesystem::path& file, const SsoSettings& sso,
                             int64_t now);

// GetRoleCredentials at `endpoint` (https://portal.sso.<region>.amazonaws.com, or the
// AWS_ENDPOINT_URL_SSO override).
AwsCredentials sso_role_credentials(const AwsHttpSend& send, const std::string& endpoint,
                                    const SsoSettings& sso, const std::string& access_token);

}  // namespace mlbox::cloud::aws
