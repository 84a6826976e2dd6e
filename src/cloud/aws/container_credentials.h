// Credentials of the task role inside an ECS / AWS Batch container: the agent serves them
// at http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, or at
// $AWS_CONTAINER_CREDENTIALS_FULL_URI (with $AWS_CONTAINER_AUTHORIZATION_TOKEN as the
// Authorization header), as JSON {AccessKeyId, SecretAccessKey, Token, Expiration}.
#pragma once

#include <optional>

#include "cloud/aws/credentials.h"
#include "config/settings.h"
#include "net/http_client.h"

namespace mlbox::cloud::aws {

// nullopt when neither variable is set; Error(kAuth) naming the URL when the agent fails.
std::optional<AwsCredentials> container_credentials(net::HttpClient& http,
                                                    const config::EnvGetter& env);

}  // namespace mlbox::cloud::aws
