// AWS STS (query protocol, botocore model sts-2011-06-15) requests for the credential chain:
// AssumeRole (SigV4 signed with the source credentials) and AssumeRoleWithWebIdentity
// (unsigned: the OIDC token is the proof). Requests are form bodies
// "Action=...&Version=2011-06-15&..."; answers are XML with <Credentials>.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "cloud/aws/sigv4.h"
#include "net/http_types.h"
#include "net/retry_policy.h"

namespace mlbox::cloud::aws {

using AwsHttpSend = std::function<net::Outcome(const net::Request&, const net::RetryPolicy&)>;

struct AssumeRoleParams {
  std::string role_arn;
  std::string session_name;
  std::string external_id;   // "" when none
  int duration_seconds = 0;  // 0: STS's default (1 h)
};

struct StsEndpoint {
  std::string url;     // base URL, no trailing slash
  std::string region;  // the signing region
};

// The form body of an AssumeRole / AssumeRoleWithWebIdentity call.
std::string assume_role_body(const AssumeRoleParams& params);
std::string assume_role_with_web_identity_body(const AssumeRoleParams& params,
                                               const std::string& web_identity_token);

// <Credentials> of an STS answer. Throws Error(kRemote) naming `what` when any of the four
// elements is missing or the expiration is malformed.
AwsCredentials parse_sts_credentials(const std::string& xml, const std::string& what);

// The calls. `source` signs AssumeRole. An STS error answer throws Error(kAuth) naming the
// role, the endpoint, the HTTP status and STS's error code and message (never the token).
AwsCredentials sts_assume_role(const AwsHttpSend& send, const StsEndpoint& endpoint,
                               const AssumeRoleParams& params, const AwsCredentials& source);
AwsCredentials sts_assume_role_with_web_identity(const AwsHttpSend& send,
                                                 const StsEndpoint& endpoint,
                                                 const AssumeRoleParams& params,
                                                 const std::string& web_identity_token);

// A role session name when none is configured: "mlbox-<unix seconds>", as botocore's
// "botocore-session-<unix seconds>".
std::string default_role_session_name(int64_t now);

}  // namespace mlbox::cloud::aws
