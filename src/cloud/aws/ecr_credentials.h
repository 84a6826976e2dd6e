// Registry credentials for Amazon ECR hosts (<account>.dkr.ecr.<region>.amazonaws.com):
// user "AWS" and the password from ECR GetAuthorizationToken, signed with credentials from
// the AWS credential chain (credential_chain.h), cached in memory until shortly before the token
// expires (12 h). Also the "create the repository when it is missing" step of a push.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>

#include "cloud/aws/credential_chain.h"
#include "cloud/aws/ecr_client.h"
#include "core/events.h"
#include "net/http_client.h"
#include "registry/credentials.h"

namespace mlbox::cloud::aws {

class EcrCredentials : public registry::CredentialProvider {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  EcrCredentials(net::HttpClient& http, config::EnvGetter env, Clock clock = {});

  // nullopt for hosts that are not ECR; Error(kAuth) when no AWS credentials are found.
  std::optional<registry::Credential> for_registry(const std::string& host) override;

  // Tokens fetched from ECR so far (tests check the cache with it).
  int tokens_fetched() const { return tokens_fetched_; }

  // Makes sure `repository` exists in the ECR registry `host`: DescribeRepositories, then
  // CreateRepository when missing and `create`; Error(kRemote) naming --no-create's effect
  // when missing and not `create`. Returns true when it created the repository.
  bool ensure_repository(const std::string& host, const std::string& repository, bool create,
                         Observer& observer);

 private:
  AwsClient client_for(const EcrHost& ecr);

  net::HttpClient& http_;
  AwsCredentialChain chain_;
  Clock clock_;
  std::mutex mutex_;
  std::map<std::string, EcrToken> tokens_;  // "<account>/<region>" -> token
  int tokens_fetched_ = 0;
};

}  // namespace mlbox::cloud::aws
