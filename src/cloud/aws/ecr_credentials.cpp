#include "cloud/aws/ecr_credentials.h"

#include <fmt/format.h>

namespace mlbox::cloud::aws {

EcrCredentials::EcrCredentials(net::HttpClient& http, config::EnvGetter env, Clock clock)
    : http_(http), chain_(http, std::move(env)), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
}

AwsClient EcrCredentials::client_for(const EcrHost& ecr) {
  return AwsClient(
      http_, ecr_service(), [this] { return chain_.credentials(); }, ecr.region,
      chain_.config().endpoint(ecr_service(), ecr.region));
}

std::optional<registry::Credential> EcrCredentials::for_registry(const std::string& host) {
  auto ecr = parse_ecr_host(host);
  if (!ecr) return std::nullopt;
  std::string key = ecr->account + "/" + ecr->region;
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(key);
  // A token is reused until 15 minutes before it expires, so a push never starts with one
  // about to lapse.
  if (it == tokens_.end() || clock_() + std::chrono::minutes(15) >= it->second.expires_at) {
    AwsClient client = client_for(*ecr);
    EcrClient ecr_client(client);
    EcrToken token = ecr_client.get_authorization_token();
    ++tokens_fetched_;
    http_.observer().debug(
        fmt::format("ECR: authorization token for {} from {}", host, client.endpoint()));
    it = tokens_.insert_or_assign(key, std::move(token)).first;
  }
  registry::Credential c;
  c.username = it->second.username;
  c.password = it->second.password;
  c.source = "ECR GetAuthorizationToken (" + chain_.credentials().source + ")";
  return c;
}

bool EcrCredentials::ensure_repository(const std::string& host, const std::string& repository,
                                       bool create, Observer& observer) {
  auto ecr = parse_ecr_host(host);
  if (!ecr) return false;
  AwsClient client = client_for(*ecr);
  EcrClient ecr_client(client);
  if (ecr_client.repository_exists(repository, ecr->account)) return false;
  if (!create) {
    throw Error(ErrorKind::kRemote,
                fmt::format("ECR repository '{}' does not exist in {} (account {}, region {}) and "
                            "--no-create was given",
                            repository, host, ecr->account, ecr->region),
                fmt::format("create it (aws ecr create-repository --repository-name {} --region "
                            "{}), or push without --no-create to let mlbox create it",
                            repository, ecr->region));
  }
  std::string uri = ecr_client.create_repository(repository, ecr->account);
  observer.info(fmt::format("created ECR repository {}", uri.empty() ? repository : uri));
  return true;
}

}  // namespace mlbox::cloud::aws
