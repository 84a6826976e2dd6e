#include "cloud/aws/sso_credentials.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cloud/aws/aws_client.h"
#include "cloud/aws/credential_cache.h"
#include "net/http_client.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/redact.h"
#include "util/utc_time.h"

namespace mlbox::cloud::aws {

namespace {

std::string login_hint(const SsoSettings& sso) {
  return sso.session_name.empty()
             ? fmt::format("run `aws sso login --profile {}`, then retry", sso.profile)
             : fmt::format(
                   "run `aws sso login --sso-session {}` (or `aws sso login --profile "
                   "{}`), then retry",
                   sso.session_name, sso.profile);
}

}  // namespace

bool profile_uses_sso(const AwsProfile& profile) {
  return !profile.get("sso_session").empty() || !profile.get("sso_start_url").empty();
}

SsoSettings sso_settings(const AwsConfigChain& config, const AwsProfile& profile) {
  SsoSettings s;
  s.profile = profile.name;
  s.session_name = profile.get("sso_session");
  if (!s.session_name.empty()) {
    auto session = config.sso_session(s.session_name);
    if (!session) {
      throw Error(ErrorKind::kConfig,
                  fmt::format("{} names sso_session '{}', but {} has no [sso-session {}] section",
                              profile.where("sso_session"), s.session_name,
                              config.config_file().string(), s.session_name),
                  "run `aws configure sso` to write it");
    }
    s.start_url = (*session)["sso_start_url"];
    s.region = (*session)["sso_region"];
  } else {
    s.start_url = profile.get("sso_start_url");
    s.region = profile.get("sso_region");
  }
  s.account_id = profile.get("sso_account_id");
  s.role_name = profile.get("sso_role_name");
  for (auto [key, value] : {std::pair{"sso_start_url", &s.start_url},
                            {"sso_region", &s.region},
                            {"sso_account_id", &s.account_id},
                            {"sso_role_name", &s.role_name}}) {
    if (value->empty()) {
      throw Error(ErrorKind::kConfig,
                  fmt::format("AWS profile '{}' uses SSO but {} is not set", profile.name, key),
                  "run `aws configure sso` for that profile");
    }
  }
  return s;
}

std::filesystem::path sso_cache_file(const std::filesystem::path& home, const SsoSettings& sso) {
  std::string key = sso.session_name.empty() ? sso.start_url : sso.session_name;
  return home / ".aws" / "sso" / "cache" / (sha1_hex(key) + ".json");
}

std::string sso_cached_token(const std::filesystem::path& file, const SsoSettings& sso,
                             int64_t now) {
  std::string text;
  if (!fs::read_file_if_exists(file, text)) {
    throw Error(ErrorKind::kAuth,
                fmt::format("AWS profile '{}' uses SSO ({}) but there is no login cached in {}",
                            sso.profile, sso.start_url, file.string()),
                login_hint(sso));
  }
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::string token, expires;
  if (j.is_object() && j.contains("accessToken") && j["accessToken"].is_string() &&
      j.contains("expiresAt") && j["expiresAt"].is_string()) {
    token = j["accessToken"].get<std::string>();
    expires = j["expiresAt"].get<std::string>();
  }
  int64_t expires_at = parse_rfc3339(expires);
  if (token.empty() || expires_at <= 0) {
    throw Error(
        ErrorKind::kAuth,
        fmt::format("the SSO login cached in {} has no accessToken/expiresAt", file.string()),
        login_hint(sso));
  }
  if (expires_at <= now) {
    throw Error(ErrorKind::kAuth,
                fmt::format("the SSO login for profile '{}' ({}) expired at {}", sso.profile,
                            sso.start_url, format_rfc3339(expires_at)),
                login_hint(sso));
  }
  return token;
}

AwsCredentials sso_role_credentials(const AwsHttpSend& send, const std::string& endpoint,
                                    const SsoSettings& sso, const std::string& access_token) {
  net::Request req;
  req.method = "GET";
  req.url = fmt::format("{}/federation/credentials?role_name={}&account_id={}", endpoint,
                        percent_encode(sso.role_name), percent_encode(sso.account_id));
  req.headers.push_back({"x-amz-sso_bearer_token", access_token});
  req.headers.push_back({"Accept", "application/json"});
  net::Outcome out = send(req, net::RetryPolicy{});
  std::string what = fmt::format("SSO GetRoleCredentials for role {} in account {} at {}",
                                 sso.role_name, sso.account_id, redact_url(endpoint));
  if (!out.ok()) {
    throw Error(ErrorKind::kNetwork, fmt::format("{}: {}", what, net::describe(out)),
                "check the network, or AWS_ENDPOINT_URL_SSO when it is set");
  }
  if (out.response.status != 200) {
    AwsErrorBody e = parse_aws_error(out.response);
    bool login = out.response.status == 401 || e.code == "UnauthorizedException";
    throw Error(
        out.response.status >= 500 ? ErrorKind::kRemote : ErrorKind::kAuth,
        fmt::format("{}: HTTP {}{}{}", what, out.response.status,
                    e.code.empty() ? "" : " " + e.code, e.message.empty() ? "" : ": " + e.message),
        login ? login_hint(sso)
              : fmt::format("check that {} may use role {} in account {}", sso.profile,
                            sso.role_name, sso.account_id));
  }
  auto j = nlohmann::json::parse(out.response.body, nullptr, false);
  const nlohmann::json* rc = nullptr;
  if (j.is_object() && j.contains("roleCredentials") && j["roleCredentials"].is_object())
    rc = &j["roleCredentials"];
  auto text = [&](const char* key) {
    return rc && rc->contains(key) && (*rc)[key].is_string() ? (*rc)[key].get<std::string>()
                                                             : std::string();
  };
  AwsCredentials c{text("accessKeyId"), text("secretAccessKey"), text("sessionToken"),
                   fmt::format("SSO role {} in account {} (profile {})", sso.role_name,
                               sso.account_id, sso.profile)};
  if (rc && rc->contains("expiration") && (*rc)["expiration"].is_number_integer())
    c.expires_at = (*rc)["expiration"].get<int64_t>() / 1000;  // milliseconds
  if (c.access_key_id.empty() || c.secret_access_key.empty() || c.session_token.empty()) {
    throw Error(ErrorKind::kRemote, what +
                                        ": the answer has no roleCredentials with "
                                        "accessKeyId, secretAccessKey and sessionToken");
  }
  return c;
}

}  // namespace mlbox::cloud::aws
