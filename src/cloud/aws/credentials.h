// The AWS configuration the SDKs share: the profile (AWS_PROFILE, else "default") and its
// settings in the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials)
// and the config file (AWS_CONFIG_FILE, ~/.aws/config; sections "[default]",
// "[profile NAME]", "[sso-session NAME]"), the region and the service endpoints:
//   region: AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region` in the config file;
//   endpoint: AWS_ENDPOINT_URL_<SERVICE_ID> (upper case, spaces -> '_'), the profile's
//     `services` section ("[services NAME]", "<service_id lower case> =\n  endpoint_url ="),
//     AWS_ENDPOINT_URL, the profile's endpoint_url, then
//     https://<endpointPrefix>.<region>.amazonaws.com (".com.cn" in China regions);
//     AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true (or the profile's
//     ignore_configured_endpoint_urls) keeps only the last.
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
const ServiceInfo& sts_service();
const ServiceInfo& sso_service();
const ServiceInfo& pricing_service();         // the Price List Query API (json)
const ServiceInfo& ec2_service();             // the ec2 query protocol (form in, XML out)
const ServiceInfo& service_quotas_service();  // json

// An INI file as the AWS CLI reads it: section -> key -> value; the indented lines of a
// nested value ("s3 =\n  endpoint_url = U") become "s3.endpoint_url".
using IniSection = std::map<std::string, std::string>;
using IniSections = std::map<std::string, IniSection>;
IniSections parse_aws_ini(std::string_view text);

// One profile's settings from both files. botocore merges them with the credentials file
// winning; get() does the same.
struct AwsProfile {
  std::string name;
  bool in_credentials_file = false;
  bool in_config_file = false;
  IniSection credentials;         // "[NAME]" of the credentials file
  IniSection config;              // "[profile NAME]" (or "[default]") of the config file
  std::string credentials_where;  // "/home/u/.aws/credentials [NAME]"
  std::string config_where;       // "/home/u/.aws/config [profile NAME]"
  bool exists() const { return in_credentials_file || in_config_file; }
  // The value of `key` (credentials file first), "" when unset.
  std::string get(const std::string& key) const;
  // Where `key` is set ("/home/u/.aws/config [profile x]").
  std::string where(const std::string& key) const;
};

class AwsConfigChain {
 public:
  explicit AwsConfigChain(config::EnvGetter env);

  // A profile's settings (the chosen one by default); exists() is false when neither file
  // has it.
  AwsProfile profile_settings(const std::string& name) const;
  AwsProfile profile_settings() const { return profile_settings(profile_); }
  // "[sso-session NAME]" of the config file; nullopt when absent.
  std::optional<IniSection> sso_session(const std::string& name) const;
  // Whether the profile was named by AWS_PROFILE / AWS_DEFAULT_PROFILE.
  bool profile_explicit() const { return profile_explicit_; }
  // AWS_* variables (empty values read as unset).
  std::optional<std::string> env(const std::string& name) const;
  const config::EnvGetter& env_getter() const { return env_; }
  // AWS_REGION, AWS_DEFAULT_REGION, the profile's region; nullopt when none.
  std::optional<std::string> region() const;
  // region() or Error(kConfig) saying how to set one.
  std::string require_region() const;
  // Where the region came from ("env AWS_REGION", "~/.aws/config [profile x]").
  std::string region_source() const;
  // The service's base URL without a trailing slash.
  std::string endpoint(const ServiceInfo& service, const std::string& region) const;
  // Whether the endpoint for this service was configured (environment or profile).
  bool endpoint_overridden(const ServiceInfo& service) const;
  const std::string& profile() const { return profile_; }
  std::filesystem::path credentials_file() const;
  std::filesystem::path config_file() const;

 private:
  IniSections load(const std::filesystem::path& path) const;
  std::optional<std::string> configured_endpoint(const ServiceInfo& service) const;

  config::EnvGetter env_;
  std::string profile_;
  bool profile_explicit_ = false;
};

// "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS" for "CloudWatch Logs".
std::string endpoint_env_name(const ServiceInfo& service);
// "cloudwatch_logs": the key of a services section.
std::string services_key(const ServiceInfo& service);

}  // namespace mlbox::cloud::aws
