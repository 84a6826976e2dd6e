// Where AWS credentials, the region and service endpoints come from, following the AWS
// SDKs' conventions:
//   credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, then the
//     profile (AWS_PROFILE, else "default") in the shared credentials file
//     (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials), then in the config file
//     (AWS_CONFIG_FILE, ~/.aws/config; sections "[default]" and "[profile NAME]");
//   region: AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region` in the config file;
//   endpoint: AWS_ENDPOINT_URL_<SERVICE_ID> (upper case, spaces -> '_'), AWS_ENDPOINT_URL,
//     then https://<endpointPrefix>.<region>.amazonaws.com (".com.cn" in China regions).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "cloud/aws/sigv4.h"
#include "config/settings.h"

namespace mlbox::cloud::aws {

// What the botocore model's metadata says about a service.
struct ServiceInfo {
  std::string service_id;       // "ECR", "Batch", "CloudWatch Logs", "S3"
  std::string endpoint_prefix;  // "api.ecr", "batch", "logs", "s3"
  std::string signing_name;     // "ecr", "batch", "logs", "s3"
  std::string target_prefix;    // JSON 1.1 X-Amz-Target prefix; empty for rest protocols
};
const ServiceInfo& ecr_service();
const ServiceInfo& batch_service();
const ServiceInfo& logs_service();
const ServiceInfo& s3_service();

// An INI file as the AWS CLI reads it: section -> key -> value (nested sub-sections, the
// indented lines under "s3 =", are skipped).
using IniSections = std::map<std::string, std::map<std::string, std::string>>;
IniSections parse_aws_ini(std::string_view text);

class AwsConfigChain {
 public:
  explicit AwsConfigChain(config::EnvGetter env);

  // The first credentials found; Error(kAuth) naming what to set when there are none,
  // Error(kConfig) when an explicitly chosen profile does not exist.
  AwsCredentials credentials() const;
  std::optional<AwsCredentials> find_credentials() const;
  // AWS_REGION, AWS_DEFAULT_REGION, the profile's region; nullopt when none.
  std::optional<std::string> region() const;
  // region() or Error(kConfig) saying how to set one.
  std::string require_region() const;
  // Where the region came from ("env AWS_REGION", "~/.aws/config [profile x]").
  std::string region_source() const;
  // The service's base URL without a trailing slash.
  std::string endpoint(const ServiceInfo& service, const std::string& region) const;
  // Whether the endpoint for this service was overridden by the environment.
  bool endpoint_overridden(const ServiceInfo& service) const;
  const std::string& profile() const { return profile_; }
  std::filesystem::path credentials_file() const;
  std::filesystem::path config_file() const;

 private:
  std::optional<std::string> env(const std::string& name) const;
  IniSections load(const std::filesystem::path& path) const;

  config::EnvGetter env_;
  std::string profile_;
  bool profile_explicit_ = false;
};

// "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS" for "CloudWatch Logs".
std::string endpoint_env_name(const ServiceInfo& service);

}  // namespace mlbox::cloud::aws
