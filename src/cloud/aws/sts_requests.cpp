#include "cloud/aws/sts_requests.h"

#include <fmt/format.h>

#include "cloud/aws/aws_client.h"
#include "cloud/aws/s3_client.h"
#include "net/http_client.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/redact.h"
#include "util/utc_time.h"

namespace mlbox::cloud::aws {

namespace {

std::string common_body(const char* action, const AssumeRoleParams& p) {
  std::string body =
      fmt::format("Action={}&Version=2011-06-15&RoleArn={}&RoleSessionName={}", action,
                  percent_encode(p.role_arn), percent_encode(p.session_name));
  if (p.duration_seconds > 0) body += fmt::format("&DurationSeconds={}", p.duration_seconds);
  return body;
}

std::string first(const std::string& xml, const char* name) {
  auto v = xml_elements(xml, name);
  return v.empty() ? "" : v.front();
}

net::Request sts_request(const StsEndpoint& endpoint, std::string body) {
  net::Request req;
  req.method = "POST";
  req.url = endpoint.url + "/";
  req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"});
  req.body = std::move(body);
  return req;
}

AwsCredentials answer(const net::Outcome& out, const char* operation, const StsEndpoint& endpoint,
                      const AssumeRoleParams& params, const std::string& hint) {
  std::string what =
      fmt::format("STS {} for {} at {}", operation, params.role_arn, redact_url(endpoint.url));
  if (!out.ok()) {
    throw Error(ErrorKind::kNetwork, fmt::format("{}: {}", what, net::describe(out)),
                "check the network, or AWS_ENDPOINT_URL_STS when it is set");
  }
  if (out.response.status != 200) {
    AwsErrorBody e = parse_aws_error(out.response);
    std::string message =
        fmt::format("{}: HTTP {}{}{}", what, out.response.status,
                    e.code.empty() ? "" : " " + e.code, e.message.empty() ? "" : ": " + e.message);
    bool server = out.response.status >= 500;
    throw Error(server ? ErrorKind::kRemote : ErrorKind::kAuth, message, hint);
  }
  AwsCredentials c = parse_sts_credentials(out.response.body, what);
  c.source = fmt::format("{} ({})", operation, params.role_arn);
  return c;
}

}  // namespace

std::string assume_role_body(const AssumeRoleParams& params) {
  std::string body = common_body("AssumeRole", params);
  if (!params.external_id.empty()) body += "&ExternalId=" + percent_encode(params.external_id);
  return body;
}

std::string assume_role_with_web_identity_body(const AssumeRoleParams& params,
                                               const std::string& web_identity_token) {
  return common_body("AssumeRoleWithWebIdentity", params) +
         "&WebIdentityToken=" + percent_encode(web_identity_token);
}

AwsCredentials parse_sts_credentials(const std::string& xml, const std::string& what) {
  if (xml.find("<Credentials>") == std::string::npos) {
    throw Error(ErrorKind::kRemote, what + ": the answer has no <Credentials>");
  }
  AwsCredentials c;
  std::string expiration;
  try {
    // Each element occurs once in an STS answer, inside <Credentials>; decoding the block
    // first and its elements again would decode "&amp;lt;" twice.
    c.access_key_id = first(xml, "AccessKeyId");
    c.secret_access_key = first(xml, "SecretAccessKey");
    c.session_token = first(xml, "SessionToken");
    expiration = first(xml, "Expiration");
  } catch (const Error&) {
    throw Error(ErrorKind::kRemote, what + ": the answer is malformed XML");
  }
  c.expires_at = parse_rfc3339(expiration);
  if (c.access_key_id.empty() || c.secret_access_key.empty() || c.session_token.empty() ||
      c.expires_at <= 0) {
    throw Error(ErrorKind::kRemote,
                what +
                    ": <Credentials> lacks AccessKeyId, SecretAccessKey, SessionToken or a "
                    "valid Expiration");
  }
  return c;
}

AwsCredentials sts_assume_role(const AwsHttpSend& send, const StsEndpoint& endpoint,
                               const AssumeRoleParams& params, const AwsCredentials& source) {
  net::Request req = sts_request(endpoint, assume_role_body(params));
  SigningOptions signing;
  signing.region = endpoint.region;
  signing.service = sts_service().signing_name;
  sign_request(req, source, signing);
  return answer(send(req, net::RetryPolicy{}), "AssumeRole", endpoint, params,
                fmt::format("the credentials from {} must be allowed sts:AssumeRole on {}, and "
                            "the role's trust policy must name their principal",
                            source.source, params.role_arn));
}

AwsCredentials sts_assume_role_with_web_identity(const AwsHttpSend& send,
                                                 const StsEndpoint& endpoint,
                                                 const AssumeRoleParams& params,
                                                 const std::string& web_identity_token) {
  net::Request req =
      sts_request(endpoint, assume_role_with_web_identity_body(params, web_identity_token));
  return answer(send(req, net::RetryPolicy{}), "AssumeRoleWithWebIdentity", endpoint, params,
                "the role's trust policy must trust the token's issuer (an IAM OIDC identity "
                "provider) with a condition on its aud and sub claims; a CI token lives "
                "minutes, so request a fresh one (docs/aws.md)");
}

std::string default_role_session_name(int64_t now) {
  return fmt::format("mlbox-{}", now);
}

}  // namespace mlbox::cloud::aws
