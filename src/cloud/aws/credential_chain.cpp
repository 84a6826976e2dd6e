#include "cloud/aws/credential_chain.h"

#include <algorithm>
#include <chrono>
#include <map>

#include <fmt/format.h>

#include "cloud/aws/container_credentials.h"
#include "cloud/aws/credential_process.h"
#include "cloud/aws/instance_metadata_credentials.h"
#include "cloud/aws/sso_credentials.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"
#include "util/utc_time.h"

namespace mlbox::cloud::aws {

namespace {

// Credentials are renewed this long before they expire, so no request starts with
// credentials about to lapse.
constexpr int64_t kRefreshMargin = 300;

std::string value(const IniSection& s, const char* key) {
  auto it = s.find(key);
  return it == s.end() ? "" : it->second;
}

std::string chain_text(const std::vector<std::string>& visited, const std::string& next) {
  std::string out;
  for (const auto& v : visited) out += v + " -> ";
  return out + next;
}

// What decides which credentials the chain finds; chains that agree on it share a cache.
std::string environment_fingerprint(const config::EnvGetter& env) {
  std::string out;
  for (const char* name : {"HOME",
                           "AWS_ACCESS_KEY_ID",
                           "AWS_SECRET_ACCESS_KEY",
                           "AWS_SESSION_TOKEN",
                           "AWS_PROFILE",
                           "AWS_DEFAULT_PROFILE",
                           "AWS_CONFIG_FILE",
                           "AWS_SHARED_CREDENTIALS_FILE",
                           "AWS_WEB_IDENTITY_TOKEN_FILE",
                           "AWS_ROLE_ARN",
                           "AWS_ROLE_SESSION_NAME",
                           "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                           "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                           "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                           "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                           "AWS_EC2_METADATA_DISABLED",
                           "AWS_ENDPOINT_URL",
                           "AWS_ENDPOINT_URL_STS",
                           "AWS_ENDPOINT_URL_SSO",
                           "AWS_REGION",
                           "AWS_DEFAULT_REGION"}) {
    out += env(name).value_or("\x01");
    out += '\0';
  }
  return out;
}

}  // namespace

AwsCredentialChain::AwsCredentialChain(Options options)
    : options_(std::move(options)),
      config_(options_.env),
      file_cache_(options_.cache_dir),
      memory_(std::make_shared<MemoryCache>()) {
  if (!options_.runner) {
    own_runner_ = std::make_unique<SystemCommandRunner>();
    options_.runner = own_runner_.get();
  }
}

AwsCredentialChain::AwsCredentialChain(net::HttpClient& http, config::EnvGetter env)
    : AwsCredentialChain(Options{env, nullptr, nullptr, nullptr, nullptr, default_cache_dir(env)}) {
  static std::mutex shared_mutex;
  static std::map<std::string, std::shared_ptr<MemoryCache>> shared;
  {
    std::lock_guard lock(shared_mutex);
    auto& entry = shared[environment_fingerprint(env)];
    if (!entry) entry = std::make_shared<MemoryCache>();
    memory_ = entry;
  }
  options_.send = [&http](const net::Request& r, const net::RetryPolicy& p) {
    return http.send(r, p);
  };
  // The container agent and IMDS speak plain HTTP on link-local addresses, and are absent
  // off AWS: a short connect timeout.
  net::TransportConfig meta = net::TransportConfig::for_cloud_api();
  meta.insecure_hosts = {"169.254.170.2", "169.254.170.23", "169.254.169.254"};
  meta.connect_timeout = std::chrono::seconds(1);
  meta.stall_timeout = std::chrono::seconds(5);
  metadata_http_ = std::make_unique<net::HttpClient>(meta, http.observer());
  options_.observer = &http.observer();
  net::HttpClient* m = metadata_http_.get();
  options_.metadata_send = [m](const net::Request& r, const net::RetryPolicy& p) {
    return m->send(r, p);
  };
}

AwsCredentialChain::~AwsCredentialChain() = default;

std::filesystem::path AwsCredentialChain::default_cache_dir(const config::EnvGetter& env) {
  if (auto off = env("MLBOX_AWS_CREDENTIAL_CACHE"); off && (*off == "off" || *off == "0"))
    return {};
  if (auto xdg = env("XDG_CACHE_HOME"); xdg && !xdg->empty())
    return std::filesystem::path(*xdg) / "mlbox" / "aws-credentials";
  auto home = env("HOME");
  if (!home || home->empty()) return {};
  return std::filesystem::path(*home) / ".cache" / "mlbox" / "aws-credentials";
}

int64_t AwsCredentialChain::now() const {
  if (options_.now) return options_.now();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int AwsCredentialChain::resolutions() const {
  std::lock_guard lock(memory_->mutex);
  return memory_->resolutions;
}

AwsCredentials AwsCredentialChain::credentials() {
  std::lock_guard lock(memory_->mutex);
  auto& cached = memory_->credentials;
  if (cached && (cached->expires_at == 0 || cached->expires_at - kRefreshMargin > now()))
    return *cached;
  ++memory_->resolutions;
  auto found = walk();
  if (!found) {
    throw Error(ErrorKind::kAuth, no_credentials_message(),
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for "
                "temporary credentials), or AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE in CI, "
                "or run `aws configure` / `aws sso login` and set AWS_PROFILE");
  }
  cached = std::move(found);
  if (options_.observer) {
    // The key id's last 4 characters, as `aws configure list` shows it.
    const std::string& id = cached->access_key_id;
    std::string shown = "****" + (id.size() > 4 ? id.substr(id.size() - 4) : std::string());
    options_.observer->debug(
        cached->expires_at > 0
            ? fmt::format("AWS credentials: {} (key {}, until {})", cached->source, shown,
                          format_rfc3339(cached->expires_at))
            : fmt::format("AWS credentials: {} (key {})", cached->source, shown));
  }
  return *cached;
}

std::string AwsCredentialChain::no_credentials_message() const {
  std::vector<std::string> tried = {
      "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set",
      "AWS_WEB_IDENTITY_TOKEN_FILE is not set",
      fmt::format("profile '{}' has no credentials in {} or {}", config_.profile(),
                  config_.credentials_file().string(), config_.config_file().string())};
  if (!container_credentials_configured(options_.env))
    tried.push_back("no container credentials endpoint (AWS_CONTAINER_CREDENTIALS_*)");
  tried.push_back(instance_metadata_disabled(options_.env)
                      ? "the EC2 metadata service is disabled (AWS_EC2_METADATA_DISABLED)"
                      : "no EC2 instance role at " + instance_metadata_endpoint(options_.env));
  std::string out = "no AWS credentials: ";
  for (size_t i = 0; i < tried.size(); ++i) out += (i ? "; " : "") + tried[i];
  return out;
}

std::optional<AwsCredentials> AwsCredentialChain::static_keys(const IniSection& section,
                                                              const std::string& where) {
  std::string id = value(section, "aws_access_key_id");
  if (id.empty()) return std::nullopt;
  if (value(section, "aws_secret_access_key").empty()) {
    throw Error(ErrorKind::kAuth, where + " has aws_access_key_id but no aws_secret_access_key",
                "add aws_secret_access_key to that profile (aws configure)");
  }
  return AwsCredentials{id, value(section, "aws_secret_access_key"),
                        value(section, "aws_session_token"), where};
}

std::optional<AwsCredentials> AwsCredentialChain::walk() {
  // 1. The environment's keys.
  auto id = config_.env("AWS_ACCESS_KEY_ID");
  auto secret = config_.env("AWS_SECRET_ACCESS_KEY");
  if (id && secret) {
    return AwsCredentials{*id, *secret, config_.env("AWS_SESSION_TOKEN").value_or(""),
                          "environment"};
  }
  if (id || secret) {
    throw Error(
        ErrorKind::kAuth,
        fmt::format("{} is set but {} is not", id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                    id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"),
        "set both, or unset both and use a profile (AWS_PROFILE)");
  }
  AwsProfile profile = config_.profile_settings();
  if (config_.profile_explicit() && !profile.exists()) {
    throw Error(
        ErrorKind::kConfig,
        fmt::format("AWS profile '{}' (AWS_PROFILE) is not in {} nor in {}", config_.profile(),
                    config_.credentials_file().string(), config_.config_file().string()),
        "create it with `aws configure --profile " + config_.profile() + "` or unset AWS_PROFILE");
  }
  // 2. The profile's role, assumed with a source profile's or a credential source's keys.
  if (!profile.get("role_arn").empty() && profile.get("web_identity_token_file").empty()) {
    std::vector<std::string> visited;
    return assume_profile_role(profile, visited);
  }
  // 3. Web identity (the environment first, then the profile).
  if (auto c = web_identity(profile, true)) return c;
  // 4. SSO.
  if (profile_uses_sso(profile)) return sso(profile);
  // 5. Keys in the shared credentials file.
  if (auto c = static_keys(profile.credentials, profile.credentials_where)) return c;
  // 6. credential_process.
  if (!profile.get("credential_process").empty()) return process(profile);
  // 7. Keys in the config file.
  if (auto c = static_keys(profile.config, profile.config_where)) return c;
  // 8. The container agent, 9. the instance metadata service.
  if (auto c = container_credentials(options_.metadata_send, options_.env)) return c;
  return instance_metadata_credentials(options_.metadata_send, options_.env);
}

StsEndpoint AwsCredentialChain::sts_endpoint() const {
  std::string region = config_.region().value_or("");
  if (config_.endpoint_overridden(sts_service()))
    return {config_.endpoint(sts_service(), region), region.empty() ? "us-east-1" : region};
  if (region.empty()) return {"https://sts.amazonaws.com", "us-east-1"};
  return {config_.endpoint(sts_service(), region), region};
}

AwsCredentials AwsCredentialChain::assume_profile_role(const AwsProfile& profile,
                                                       std::vector<std::string>& visited) {
  visited.push_back(profile.name);
  std::string where = profile.where("role_arn");
  std::string source_profile = profile.get("source_profile");
  std::string source = profile.get("credential_source");
  if (source_profile.empty() == source.empty()) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{} has role_arn but {}", where,
                            source.empty() ? "neither source_profile nor credential_source"
                                           : "both source_profile and credential_source"),
                "set exactly one of them: source_profile = a profile with credentials, or "
                "credential_source = Environment | Ec2InstanceMetadata | EcsContainer");
  }
  if (!profile.get("mfa_serial").empty()) {
    throw Error(
        ErrorKind::kConfig,
        fmt::format("{} needs an MFA code (mfa_serial), which mlbox cannot prompt for", where),
        "assume the role first: eval \"$(aws configure export-credentials --profile " +
            profile.name + " --format env)\"");
  }
  AssumeRoleParams params;
  params.role_arn = profile.get("role_arn");
  params.external_id = profile.get("external_id");
  params.session_name = profile.get("role_session_name");
  if (std::string d = profile.get("duration_seconds"); !d.empty()) {
    try {
      params.duration_seconds = std::stoi(d);
    } catch (const std::exception&) {
      params.duration_seconds = -1;
    }
    if (params.duration_seconds < 900 || params.duration_seconds > 43200) {
      throw Error(ErrorKind::kConfig,
                  fmt::format("{}: duration_seconds '{}' is not a number of seconds from 900 to "
                              "43200",
                              profile.where("duration_seconds"), d),
                  "fix or remove duration_seconds");
    }
  }
  std::string cache_key =
      fmt::format("{}\n{}\n{}\n{}\n{}\n{}", params.role_arn, params.session_name,
                  params.external_id, params.duration_seconds, source_profile, source);
  if (auto hit = file_cache_.load(cache_key, now(), kRefreshMargin)) {
    hit->source =
        fmt::format("AssumeRole ({}, cached in {})", params.role_arn, file_cache_.dir().string());
    return *hit;
  }
  AwsCredentials from = source_profile.empty()
                            ? credential_source(profile, source)
                            : profile_source(source_profile, profile.name, visited);
  if (params.session_name.empty()) params.session_name = default_role_session_name(now());
  AwsCredentials c = sts_assume_role(options_.send, sts_endpoint(), params, from);
  c.source = fmt::format("AssumeRole ({}) with {}", params.role_arn, from.source);
  file_cache_.store(cache_key, c);
  return c;
}

AwsCredentials AwsCredentialChain::profile_source(const std::string& name,
                                                  const std::string& referrer,
                                                  std::vector<std::string>& visited) {
  AwsProfile p = config_.profile_settings(name);
  if (!p.exists()) {
    throw Error(ErrorKind::kConfig,
                fmt::format("AWS profile '{}' names source_profile '{}', which is not in {} nor "
                            "in {}",
                            referrer, name, config_.credentials_file().string(),
                            config_.config_file().string()),
                "create that profile or fix source_profile");
  }
  bool seen = std::find(visited.begin(), visited.end(), name) != visited.end();
  auto keys = static_keys(p.credentials, p.credentials_where);
  if (!keys) keys = static_keys(p.config, p.config_where);
  // A role profile may name itself as its source to use its own keys (botocore allows it).
  if (seen && name == referrer && keys) return *keys;
  if (seen) {
    throw Error(ErrorKind::kConfig,
                "AWS profiles form a source_profile loop: " + chain_text(visited, name),
                "make the last profile of the chain hold keys (or use credential_source)");
  }
  if (!p.get("role_arn").empty() && p.get("web_identity_token_file").empty())
    return assume_profile_role(p, visited);
  if (!p.get("web_identity_token_file").empty()) {
    if (auto c = web_identity(p, false)) return *c;
  }
  if (profile_uses_sso(p)) return sso(p);
  if (!p.get("credential_process").empty()) return process(p);
  if (keys) return *keys;
  throw Error(
      ErrorKind::kConfig,
      fmt::format("source_profile '{}' (of profile '{}') has no credentials", name, referrer),
      "give it aws_access_key_id/aws_secret_access_key, SSO, credential_process or a "
      "role of its own");
}

AwsCredentials AwsCredentialChain::credential_source(const AwsProfile& profile,
                                                     const std::string& source) {
  std::optional<AwsCredentials> c;
  if (source == "Environment") {
    auto id = config_.env("AWS_ACCESS_KEY_ID");
    auto secret = config_.env("AWS_SECRET_ACCESS_KEY");
    if (id && secret)
      c = AwsCredentials{*id, *secret, config_.env("AWS_SESSION_TOKEN").value_or(""),
                         "environment"};
  } else if (source == "Ec2InstanceMetadata") {
    c = instance_metadata_credentials(options_.metadata_send, options_.env);
  } else if (source == "EcsContainer") {
    c = container_credentials(options_.metadata_send, options_.env);
  } else {
    throw Error(ErrorKind::kConfig,
                fmt::format("{}: credential_source '{}' is not one of Environment, "
                            "Ec2InstanceMetadata, EcsContainer",
                            profile.where("credential_source"), source),
                "fix credential_source");
  }
  if (!c) {
    throw Error(ErrorKind::kAuth,
                fmt::format("profile '{}' takes its source credentials from {}, which has none",
                            profile.name, source),
                source == "Environment"
                    ? "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                    : "run mlbox where that source exists, or change credential_source");
  }
  return *c;
}

std::optional<AwsCredentials> AwsCredentialChain::web_identity(const AwsProfile& profile,
                                                               bool from_env) {
  auto pick = [&](const char* env_name, const char* key) {
    if (from_env) {
      if (auto v = config_.env(env_name)) return *v;
    }
    return profile.get(key);
  };
  std::string token_file = pick("AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file");
  if (token_file.empty()) return std::nullopt;
  AssumeRoleParams params;
  params.role_arn = pick("AWS_ROLE_ARN", "role_arn");
  params.session_name = pick("AWS_ROLE_SESSION_NAME", "role_session_name");
  if (params.role_arn.empty()) {
    throw Error(
        ErrorKind::kConfig,
        fmt::format("a web identity token file is configured ({}) but no role ARN", token_file),
        "set AWS_ROLE_ARN (or role_arn in the profile) to the role to assume");
  }
  std::string token;
  if (!fs::read_file_if_exists(token_file, token) || trim(token).empty()) {
    throw Error(ErrorKind::kAuth,
                fmt::format("the web identity token file {} is missing or empty", token_file),
                "the CI system writes it (GitHub Actions: permissions id-token: write and "
                "aws-actions/configure-aws-credentials, or a step that saves the OIDC token); "
                "check AWS_WEB_IDENTITY_TOKEN_FILE");
  }
  if (params.session_name.empty()) params.session_name = default_role_session_name(now());
  AwsCredentials c = sts_assume_role_with_web_identity(options_.send, sts_endpoint(), params,
                                                       std::string(trim(token)));
  c.source = fmt::format("AssumeRoleWithWebIdentity ({}, token {})", params.role_arn, token_file);
  return c;
}

AwsCredentials AwsCredentialChain::sso(const AwsProfile& profile) {
  SsoSettings s = sso_settings(config_, profile);
  std::string home = config_.env("HOME").value_or("");
  std::string token = sso_cached_token(sso_cache_file(home, s), s, now());
  std::string endpoint = config_.endpoint(sso_service(), s.region);
  return sso_role_credentials(options_.send, endpoint, s, token);
}

AwsCredentials AwsCredentialChain::process(const AwsProfile& profile) {
  return run_credential_process(*options_.runner, profile.get("credential_process"),
                                profile.where("credential_process"));
}

}  // namespace mlbox::cloud::aws
