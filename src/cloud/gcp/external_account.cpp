#include "cloud/gcp/external_account.h"

#include <fmt/format.h>

#include "util/encoding.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/redact.h"
#include "util/strings.h"
#include "util/utc_time.h"

namespace mlbox::cloud::gcp {

namespace {

const char* kFederationHint =
    "check the workload identity pool provider (its issuer, allowed audiences and attribute "
    "condition) and that the CI job requested a fresh OIDC token; `gcloud iam "
    "workload-identity-pools create-cred-config` writes this file";

std::string text_field(const nlohmann::json& j, const char* name) {
  return j.is_object() && j.contains(name) && j[name].is_string() ? j[name].get<std::string>()
                                                                  : std::string();
}

}  // namespace

ExternalAccount parse_external_account(const nlohmann::json& j, const std::string& file) {
  auto missing = [&](const std::string& what) {
    return Error(ErrorKind::kAuth,
                 fmt::format("{}: external_account credentials have no {}", file, what),
                 "write the file with `gcloud iam workload-identity-pools create-cred-config`");
  };
  ExternalAccount a;
  a.file = file;
  a.audience = text_field(j, "audience");
  a.subject_token_type = text_field(j, "subject_token_type");
  a.token_url = text_field(j, "token_url");
  if (a.token_url.empty()) a.token_url = "https://sts.googleapis.com/v1/token";
  a.impersonation_url = text_field(j, "service_account_impersonation_url");
  if (j.contains("service_account_impersonation") &&
      j["service_account_impersonation"].is_object()) {
    const auto& s = j["service_account_impersonation"];
    if (s.contains("token_lifetime_seconds") && s["token_lifetime_seconds"].is_number_integer())
      a.lifetime_seconds = s["token_lifetime_seconds"].get<int>();
  }
  if (a.audience.empty()) throw missing("\"audience\"");
  if (a.subject_token_type.empty()) throw missing("\"subject_token_type\"");
  if (!j.contains("credential_source") || !j["credential_source"].is_object())
    throw missing("\"credential_source\"");
  const auto& src = j["credential_source"];
  a.source_file = text_field(src, "file");
  a.source_url = text_field(src, "url");
  if (src.contains("headers") && src["headers"].is_object()) {
    for (const auto& [k, v] : src["headers"].items())
      if (v.is_string()) a.source_headers.push_back({k, v.get<std::string>()});
  }
  if (src.contains("format") && src["format"].is_object()) {
    a.format_type = text_field(src["format"], "type");
    a.subject_token_field_name = text_field(src["format"], "subject_token_field_name");
    if (a.format_type.empty()) a.format_type = "text";
  }
  if (a.source_file.empty() && a.source_url.empty()) {
    std::string kind = src.contains("executable")       ? "executable"
                       : src.contains("environment_id") ? "aws (environment_id)"
                       : src.contains("certificate")    ? "certificate"
                                                        : "";
    throw Error(ErrorKind::kAuth,
                fmt::format("{}: credential_source {} is not supported (mlbox reads file- and "
                            "url-sourced subject tokens)",
                            file, kind.empty() ? "has neither file nor url" : kind),
                "write the OIDC token to a file and use credential_source.file");
  }
  if (a.format_type != "text" && a.format_type != "json")
    throw missing("supported credential_source.format.type (text or json)");
  if (a.format_type == "json" && a.subject_token_field_name.empty())
    throw missing("credential_source.format.subject_token_field_name");
  return a;
}

std::string read_subject_token(const ExternalAccount& a, const HttpSend& send) {
  std::string raw, where;
  if (!a.source_file.empty()) {
    where = a.source_file;
    if (!fs::read_file_if_exists(a.source_file, raw)) {
      throw Error(
          ErrorKind::kAuth,
          fmt::format("{}: the subject token file {} cannot be read", a.file, a.source_file),
          "the CI job must write its OIDC token there before mlbox runs (see "
          "examples/ci/)");
    }
  } else {
    where = redact_url(a.source_url);
    net::Request r;
    r.url = a.source_url;
    r.headers = a.source_headers;
    net::Outcome o = send(r, net::RetryPolicy{});
    if (!o.ok() || o.response.status != 200) {
      throw Error(
          ErrorKind::kAuth,
          fmt::format("{}: the subject token URL {} answered {}", a.file, where, net::describe(o)),
          "check credential_source.url and its headers");
    }
    raw = o.response.body;
  }
  std::string token;
  if (a.format_type == "json") {
    auto j = nlohmann::json::parse(raw, nullptr, false);
    token = text_field(j, a.subject_token_field_name.c_str());
    if (token.empty()) {
      throw Error(ErrorKind::kAuth,
                  fmt::format("{}: the subject token from {} is not JSON with a string field "
                              "\"{}\"",
                              a.file, where, a.subject_token_field_name),
                  "fix credential_source.format, or write the token as plain text");
    }
  } else {
    token = std::string(trim(raw));
  }
  if (token.empty()) {
    throw Error(ErrorKind::kAuth,
                fmt::format("{}: the subject token from {} is empty", a.file, where),
                "the CI job must write a fresh OIDC token there before mlbox runs");
  }
  return token;
}

std::string token_exchange_body(const ExternalAccount& a, const std::string& subject_token,
                                const std::string& scope) {
  return fmt::format(
      "grant_type={}&audience={}&scope={}&requested_token_type={}&subject_token={}&"
      "subject_token_type={}",
      percent_encode(kTokenExchangeGrant), percent_encode(a.audience), percent_encode(scope),
      percent_encode(kAccessTokenType), percent_encode(subject_token),
      percent_encode(a.subject_token_type));
}

AccessToken exchange_token(const HttpSend& send, const ExternalAccount& a,
                           const std::string& subject_token, int64_t now) {
  net::Request r;
  r.method = "POST";
  r.url = a.token_url;
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
               {"Accept", "application/json"}};
  // Without impersonation the STS token itself calls the APIs, so it needs their scope.
  r.body = token_exchange_body(a, subject_token, kCloudPlatformScope);
  std::string what = fmt::format("external_account {} (Security Token Service exchange)", a.file);
  try {
    return parse_token_response(send(r, net::RetryPolicy{}), what, a.token_url, now);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kAuth) throw;
    throw Error(ErrorKind::kAuth, e.what(), kFederationHint);
  }
}

std::string impersonated_account(const std::string& url) {
  auto at = url.find("/serviceAccounts/");
  if (at == std::string::npos) return "";
  std::string rest = url.substr(at + 17);
  return rest.substr(0, rest.find(':'));
}

AccessToken generate_access_token(const HttpSend& send, const std::string& url,
                                  const std::string& bearer,
                                  const std::vector<std::string>& delegates, int lifetime_seconds,
                                  const std::string& what, int64_t now) {
  net::Request r;
  r.method = "POST";
  r.url = url;
  r.headers = {{"Content-Type", "application/json"},
               {"Accept", "application/json"},
               {"Authorization", "Bearer " + bearer}};
  nlohmann::json body = {{"scope", {kCloudPlatformScope}},
                         {"lifetime", fmt::format("{}s", lifetime_seconds)}};
  if (!delegates.empty()) body["delegates"] = delegates;
  r.body = body.dump();
  net::Outcome o = send(r, net::RetryPolicy{});
  std::string account = impersonated_account(url);
  std::string desc = fmt::format("{} impersonating {}", what, account.empty() ? url : account);
  if (o.ok() && o.response.status == 200) {
    auto j = nlohmann::json::parse(o.response.body, nullptr, false);
    AccessToken t;
    t.value = text_field(j, "accessToken");
    t.expires_at = parse_rfc3339(text_field(j, "expireTime"));
    t.obtained_at = now;
    if (t.value.empty() || t.expires_at <= 0) {
      throw Error(ErrorKind::kRemote,
                  fmt::format("{}: generateAccessToken at {} answered without accessToken/"
                              "expireTime",
                              desc, redact_url(url)));
    }
    return t;
  }
  try {
    parse_token_response(o, desc, url, now);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kAuth) throw;
    throw Error(ErrorKind::kAuth, e.what(),
                fmt::format("the caller needs roles/iam.serviceAccountTokenCreator on {} (for a "
                            "workload identity pool: roles/iam.workloadIdentityUser for the "
                            "pool's principal)",
                            account.empty() ? "the service account" : account));
  }
  throw Error(ErrorKind::kRemote, desc + ": generateAccessToken failed");
}

}  // namespace mlbox::cloud::gcp
