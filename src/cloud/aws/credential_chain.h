// The AWS credential chain every mlbox command uses (ECR logins for push/pull/build, Batch
// and CloudWatch Logs for submit/status/logs/cancel, S3 for fetch and the trainer's
// bucket sync), in botocore's order:
//   1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
//   2. the profile's role_arn with source_profile or credential_source (Environment,
//      Ec2InstanceMetadata, EcsContainer): STS AssumeRole signed with the source's
//      credentials (role chains followed, loops refused);
//   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME),
//      or the profile's web_identity_token_file + role_arn: STS AssumeRoleWithWebIdentity;
//   4. SSO (sso_session / sso_start_url): the `aws sso login` cache, GetRoleCredentials;
//   5. keys in the shared credentials file;
//   6. the profile's credential_process;
//   7. keys in the config file;
//   8. the ECS / Batch / EKS container credentials endpoint;
//   9. the EC2 instance metadata service (IMDSv2).
// Credentials are cached in memory until 5 minutes before they expire, shared by every
// chain of the process that sees the same environment (a push's ECR login and its
// repository check walk the chain once); assumed roles also on disk (credential_cache.h). STS is at
// AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, else https://sts.<region>.amazonaws.com.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cloud/aws/credential_cache.h"
#include "cloud/aws/credentials.h"
#include "cloud/aws/sts_requests.h"
#include "core/events.h"
#include "net/http_client.h"
#include "util/process.h"

namespace mlbox::cloud::aws {

class AwsCredentialChain {
 public:
  struct Options {
    config::EnvGetter env;
    AwsHttpSend send;                 // STS and the SSO portal
    AwsHttpSend metadata_send;        // the container agent and IMDS (plain HTTP, short timeouts)
    CommandRunner* runner = nullptr;  // credential_process; null: the system's
    std::function<int64_t()> now;     // seconds since the epoch
    std::filesystem::path cache_dir;  // assumed roles on disk; empty: memory only
    Observer* observer = nullptr;     // told (debug) where credentials came from; no secret
  };
  // A chain with a memory cache of its own (tests).
  explicit AwsCredentialChain(Options options);
  // Production wiring: `http` for STS and SSO, an own client for the metadata endpoints,
  // the disk cache under $XDG_CACHE_HOME/mlbox/aws-credentials (~/.cache/...), which
  // MLBOX_AWS_CREDENTIAL_CACHE=off turns off.
  AwsCredentialChain(net::HttpClient& http, config::EnvGetter env);
  ~AwsCredentialChain();
  AwsCredentialChain(const AwsCredentialChain&) = delete;
  AwsCredentialChain& operator=(const AwsCredentialChain&) = delete;

  // The first credentials the chain finds (cached). Error(kAuth) naming what to set when
  // there are none or a source fails, Error(kConfig) for an unknown explicit profile, a
  // source_profile loop or a role profile that is incomplete. Thread-safe.
  AwsCredentials credentials();
  const AwsConfigChain& config() const { return config_; }
  // How many times the chain was walked (the cache's tests).
  int resolutions() const;

  // The default disk cache directory for `env` (empty when turned off).
  static std::filesystem::path default_cache_dir(const config::EnvGetter& env);

 private:
  std::optional<AwsCredentials> walk();
  std::optional<AwsCredentials> static_keys(const IniSection& section, const std::string& where);
  AwsCredentials assume_profile_role(const AwsProfile& profile, std::vector<std::string>& visited);
  AwsCredentials profile_source(const std::string& name, const std::string& referrer,
                                std::vector<std::string>& visited);
  AwsCredentials credential_source(const AwsProfile& profile, const std::string& source);
  std::optional<AwsCredentials> web_identity(const AwsProfile& profile, bool from_env);
  AwsCredentials sso(const AwsProfile& profile);
  AwsCredentials process(const AwsProfile& profile);
  StsEndpoint sts_endpoint() const;
  std::string no_credentials_message() const;
  int64_t now() const;

  Options options_;
  AwsConfigChain config_;
  CredentialFileCache file_cache_;
  std::unique_ptr<net::HttpClient> metadata_http_;
  std::unique_ptr<CommandRunner> own_runner_;
  struct MemoryCache {
    std::mutex mutex;
    std::optional<AwsCredentials> credentials;
    int resolutions = 0;
  };
  std::shared_ptr<MemoryCache> memory_;
};

}  // namespace mlbox::cloud::aws
