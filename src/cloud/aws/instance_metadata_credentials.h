// Credentials of an EC2 instance's role from the instance metadata service, IMDSv2 only:
// PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds), then, with that session
// token in X-aws-ec2-metadata-token, GET /latest/meta-data/iam/security-credentials/ (the
// role name) and GET .../<role> ({Code, AccessKeyId, SecretAccessKey, Token, Expiration}).
// $AWS_EC2_METADATA_SERVICE_ENDPOINT replaces http://169.254.169.254 (tests);
// $AWS_EC2_METADATA_DISABLED=true skips it.
#pragma once

#include <optional>

#include "cloud/aws/sts_requests.h"
#include "config/settings.h"

namespace mlbox::cloud::aws {

// "http://169.254.169.254" or the override, without a trailing slash.
std::string instance_metadata_endpoint(const config::EnvGetter& env);
bool instance_metadata_disabled(const config::EnvGetter& env);

// nullopt when the service does not answer (not on EC2) or the instance has no role;
// Error(kAuth) when it answers with an error about the role's credentials.
std::optional<AwsCredentials> instance_metadata_credentials(const AwsHttpSend& send,
                                                            const config::EnvGetter& env);

}  // namespace mlbox::cloud::aws
