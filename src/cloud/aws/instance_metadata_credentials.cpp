#include "cloud/aws/instance_metadata_credentials.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "net/http_client.h"
#include "util/error.h"
#include "util/redact.h"
#include "util/strings.h"
#include "util/utc_time.h"

namespace mlbox::cloud::aws {

namespace {

constexpr const char* kCredentialsPath = "/latest/meta-data/iam/security-credentials/";

}  // namespace

std::string instance_metadata_endpoint(const config::EnvGetter& env) {
  std::string url = "http://169.254.169.254";
  if (auto e = env("AWS_EC2_METADATA_SERVICE_ENDPOINT"); e && !e->empty()) url = *e;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

bool instance_metadata_disabled(const config::EnvGetter& env) {
  auto v = env("AWS_EC2_METADATA_DISABLED");
  return v && to_lower(*v) == "true";
}

std::optional<AwsCredentials> instance_metadata_credentials(const AwsHttpSend& send,
                                                            const config::EnvGetter& env) {
  if (instance_metadata_disabled(env)) return std::nullopt;
  std::string base = instance_metadata_endpoint(env);
  // Off EC2 nothing answers: one quick attempt (the botocore default), no retries.
  net::RetryPolicy once = net::RetryPolicy::none();
  net::Request put;
  put.method = "PUT";
  put.url = base + "/latest/api/token";
  put.headers.push_back({"X-aws-ec2-metadata-token-ttl-seconds", "21600"});
  put.body = std::string();
  net::Outcome t = send(put, once);
  if (!t.ok() || t.response.status != 200 || t.response.body.empty()) return std::nullopt;
  std::string session = t.response.body;
  auto get = [&](const std::string& path) {
    net::Request r;
    r.url = base + path;
    r.headers.push_back({"X-aws-ec2-metadata-token", session});
    return send(r, once);
  };
  net::Outcome roles = get(kCredentialsPath);
  if (!roles.ok() || roles.response.status == 404) return std::nullopt;  // no instance role
  std::string where = "the EC2 instance metadata service (" + redact_url(base) + ")";
  if (roles.response.status != 200) {
    throw Error(
        ErrorKind::kAuth,
        fmt::format("{}: HTTP {} listing the instance's role", where, roles.response.status),
        "check the instance profile attached to this instance");
  }
  std::string role(trim(split(roles.response.body, '\n').front()));
  if (role.empty()) return std::nullopt;
  net::Outcome creds = get(kCredentialsPath + role);
  auto j = creds.ok() && creds.response.status == 200
               ? nlohmann::json::parse(creds.response.body, nullptr, false)
               : nlohmann::json();
  auto text = [&](const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                  : std::string();
  };
  AwsCredentials c{text("AccessKeyId"), text("SecretAccessKey"), text("Token"),
                   fmt::format("{} role {}", where, role)};
  if ((!text("Code").empty() && text("Code") != "Success") || c.access_key_id.empty() ||
      c.secret_access_key.empty()) {
    throw Error(ErrorKind::kAuth,
                fmt::format("{}: no credentials for role {} ({})", where, role,
                            creds.ok() ? fmt::format("HTTP {}{}", creds.response.status,
                                                     text("Code").empty() ? "" : " " + text("Code"))
                                       : net::describe(creds)),
                "check the instance profile attached to this instance");
  }
  if (std::string e = text("Expiration"); !e.empty()) c.expires_at = parse_rfc3339(e);
  return c;
}

}  // namespace mlbox::cloud::aws
