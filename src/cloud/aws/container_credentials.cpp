#include "cloud/aws/container_credentials.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "net/http_client.h"
#include "net/transport_config.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/redact.h"
#include "util/strings.h"
#include "util/utc_time.h"

namespace mlbox::cloud::aws {

namespace {

std::optional<std::string> set(const config::EnvGetter& env, const char* name) {
  auto v = env(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

}  // namespace

bool container_credentials_configured(const config::EnvGetter& env) {
  return set(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
         set(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
}

std::optional<AwsCredentials> container_credentials(const AwsHttpSend& send,
                                                    const config::EnvGetter& env) {
  std::string url;
  if (auto rel = set(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    url = "http://169.254.170.2" + *rel;
  } else if (auto full = set(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    url = *full;
    std::string host = net::url_authority(url);
    if (auto colon = host.rfind(':'); colon != std::string::npos && host.front() != '[')
      host.resize(colon);
    // The SDKs send the token in plain HTTP only to the agents' link-local addresses and
    // to loopback.
    if (net::url_scheme(url) == "http" && !is_loopback_host(host) && host != "169.254.170.2" &&
        host != "169.254.170.23" && host != "[fd00:ec2::23]") {
      throw Error(ErrorKind::kConfig,
                  fmt::format("AWS_CONTAINER_CREDENTIALS_FULL_URI ({}) is plain HTTP to a host "
                              "that is neither loopback nor the ECS/EKS agent",
                              redact_url(url)),
                  "use https://, or the agent address the platform sets");
    }
  } else {
    return std::nullopt;
  }
  net::Request req;
  req.method = "GET";
  req.url = url;
  req.headers.push_back({"Accept", "application/json"});
  std::string token;
  if (auto file = set(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    if (!fs::read_file_if_exists(*file, token)) {
      throw Error(
          ErrorKind::kAuth,
          "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE names " + *file + ", which cannot be read",
          "the container agent writes it; check the variable and the file's permissions");
    }
    token = std::string(trim(token));
  } else if (auto t = set(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
    token = *t;
  }
  if (!token.empty()) req.headers.push_back({"Authorization", token});
  net::RetryPolicy policy;
  policy.max_attempts = 3;
  net::Outcome out = send(req, policy);
  std::string where = "container credentials from " + redact_url(url);
  if (!out.ok() || out.response.status != 200) {
    throw Error(ErrorKind::kAuth, fmt::format("{}: {}", where, net::describe(out)),
                "the task's role must allow this (the job definition's jobRoleArn), and the "
                "authorization token must be the agent's");
  }
  auto j = nlohmann::json::parse(out.response.body, nullptr, false);
  auto text = [&](const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                  : std::string();
  };
  AwsCredentials c{text("AccessKeyId"), text("SecretAccessKey"), text("Token"), where};
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    throw Error(ErrorKind::kAuth, where + ": the answer has no AccessKeyId/SecretAccessKey");
  }
  if (std::string e = text("Expiration"); !e.empty()) c.expires_at = parse_rfc3339(e);
  return c;
}

}  // namespace mlbox::cloud::aws
