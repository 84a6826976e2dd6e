// Amazon ECR API calls mlbox needs: GetAuthorizationToken (registry login), and
// DescribeRepositories / CreateRepository (a push to a repository that does not exist).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "cloud/aws/aws_client.h"

namespace mlbox::cloud::aws {

// "<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn][:port]"
struct EcrHost {
  std::string account;
  std::string region;
};
std::optional<EcrHost> parse_ecr_host(std::string_view host);

struct EcrToken {
  std::string username;  // "AWS"
  std::string password;
  std::chrono::system_clock::time_point expires_at;
  std::string proxy_endpoint;  // "https://<account>.dkr.ecr.<region>.amazonaws.com"
};

// Decodes the base64 "AWS:<password>" authorizationToken; Error(kRemote) when malformed.
EcrToken decode_authorization_data(const nlohmann::json& data);

class EcrClient {
 public:
  explicit EcrClient(AwsClient& client) : client_(client) {}

  EcrToken get_authorization_token();
  // Whether the repository exists in the registry of `account` (empty: the caller's).
  bool repository_exists(const std::string& name, const std::string& account = {});
  // CreateRepository; returns the repositoryUri. An already existing repository is fine.
  std::string create_repository(const std::string& name, const std::string& account = {});

 private:
  AwsClient& client_;
};

}  // namespace mlbox::cloud::aws
