// Credentials of the task role inside an ECS / AWS Batch container (and EKS Pod Identity):
// the agent serves them at http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, or
// at $AWS_CONTAINER_CREDENTIALS_FULL_URI with the Authorization header taken from
// $AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (re-read each time: the agent rotates it) or
// $AWS_CONTAINER_AUTHORIZATION_TOKEN, as JSON {AccessKeyId, SecretAccessKey, Token,
// Expiration}.
#pragma once

#include <optional>

#include "cloud/aws/sts_requests.h"
#include "config/settings.h"

namespace mlbox::cloud::aws {

// Whether the environment points at a container credentials endpoint.
bool container_credentials_configured(const config::EnvGetter& env);

// nullopt when neither variable is set; Error(kAuth) naming the URL when the agent fails,
// Error(kConfig) for a FULL_URI that is plain HTTP to a host other than loopback or the
// ECS/EKS agent addresses.
std::optional<AwsCredentials> container_credentials(const AwsHttpSend& send,
                                                    const config::EnvGetter& env);

}  // namespace mlbox::cloud::aws
