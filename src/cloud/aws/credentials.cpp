#include "cloud/aws/credentials.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "util/error.h"
#include "util/strings.h"

namespace mlbox::cloud::aws {

namespace fs = std::filesystem;

const ServiceInfo& ecr_service() {
  static const ServiceInfo s{"ECR", "api.ecr", "ecr", "AmazonEC2ContainerRegistry_V20150921"};
  return s;
}
const ServiceInfo& batch_service() {
  static const ServiceInfo s{"Batch", "batch", "batch", ""};
  return s;
}
const ServiceInfo& logs_service() {
  static const ServiceInfo s{"CloudWatch Logs", "logs", "logs", "Logs_20140328"};
  return s;
}
const ServiceInfo& s3_service() {
  static const ServiceInfo s{"S3", "s3", "s3", ""};
  return s;
}

std::string endpoint_env_name(const ServiceInfo& service) {
  std::string name = "AWS_ENDPOINT_URL_";
  for (char c : service.service_id) {
    name += c == ' ' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

IniSections parse_aws_ini(std::string_view text) {
  IniSections out;
  std::string section;
  bool have_section = false;
  for (const auto& raw : split(text, '\n')) {
    std::string line(raw);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string_view t = trim(line);
    if (t.empty() || t.front() == '#' || t.front() == ';') continue;
    // Indented lines continue a nested value ("s3 =\n  max_concurrent_requests = 4").
    if (line.front() == ' ' || line.front() == '\t') continue;
    if (t.front() == '[' && t.back() == ']') {
      section = std::string(trim(t.substr(1, t.size() - 2)));
      have_section = true;
      out[section];
      continue;
    }
    auto eq = t.find('=');
    if (!have_section || eq == std::string_view::npos) continue;
    out[section][std::string(trim(t.substr(0, eq)))] = std::string(trim(t.substr(eq + 1)));
  }
  return out;
}

AwsConfigChain::AwsConfigChain(config::EnvGetter env) : env_(std::move(env)) {
  if (auto p = this->env("AWS_PROFILE")) {
    profile_ = *p;
    profile_explicit_ = true;
  } else if (auto d = this->env("AWS_DEFAULT_PROFILE")) {
    profile_ = *d;
    profile_explicit_ = true;
  } else {
    profile_ = "default";
  }
}

std::optional<std::string> AwsConfigChain::env(const std::string& name) const {
  auto v = env_(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

fs::path AwsConfigChain::credentials_file() const {
  if (auto f = env("AWS_SHARED_CREDENTIALS_FILE")) return *f;
  return fs::path(env("HOME").value_or("")) / ".aws" / "credentials";
}

fs::path AwsConfigChain::config_file() const {
  if (auto f = env("AWS_CONFIG_FILE")) return *f;
  return fs::path(env("HOME").value_or("")) / ".aws" / "config";
}

IniSections AwsConfigChain::load(const fs::path& path) const {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_aws_ini(ss.str());
}

namespace {

const std::map<std::string, std::string>* find_section(const IniSections& ini,
                                                       const std::string& name) {
  auto it = ini.find(name);
  return it == ini.end() ? nullptr : &it->second;
}

std::string get(const std::map<std::string, std::string>& s, const char* key) {
  auto it = s.find(key);
  return it == s.end() ? "" : it->second;
}

}  // namespace

std::optional<AwsCredentials> AwsConfigChain::find_credentials() const {
  auto id = env("AWS_ACCESS_KEY_ID");
  auto secret = env("AWS_SECRET_ACCESS_KEY");
  if (id && secret) {
    return AwsCredentials{*id, *secret, env("AWS_SESSION_TOKEN").value_or(""), "environment"};
  }
  if (id || secret) {
    throw Error(
        ErrorKind::kAuth,
        fmt::format("{} is set but {} is not", id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                    id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"),
        "set both, or unset both and use a profile (AWS_PROFILE)");
  }
  fs::path cred_file = credentials_file();
  fs::path conf_file = config_file();
  IniSections creds = load(cred_file);
  IniSections conf = load(conf_file);
  const auto* s = find_section(creds, profile_);
  std::string where = fmt::format("{} [{}]", cred_file.string(), profile_);
  if (!s || get(*s, "aws_access_key_id").empty()) {
    s = find_section(conf, profile_ == "default" ? "default" : "profile " + profile_);
    if (!s && profile_ == "default") s = find_section(conf, "profile default");
    where = fmt::format("{} [{}]", conf_file.string(),
                        profile_ == "default" ? "default" : "profile " + profile_);
  }
  if (s && !get(*s, "aws_access_key_id").empty()) {
    if (get(*s, "aws_secret_access_key").empty()) {
      throw Error(ErrorKind::kAuth, where + " has aws_access_key_id but no aws_secret_access_key",
                  "add aws_secret_access_key to that profile (aws configure)");
    }
    return AwsCredentials{get(*s, "aws_access_key_id"), get(*s, "aws_secret_access_key"),
                          get(*s, "aws_session_token"), where};
  }
  if (s) {
    for (const char* key : {"role_arn", "sso_session", "sso_start_url", "credential_process",
                            "web_identity_token_file"}) {
      if (!get(*s, key).empty()) {
        throw Error(ErrorKind::kAuth,
                    fmt::format("{} gets its credentials through {}, which mlbox does not "
                                "support yet",
                                where, key),
                    fmt::format("export static credentials first: eval \"$(aws configure "
                                "export-credentials --profile {} --format env)\"",
                                profile_));
      }
    }
  }
  bool profile_known =
      find_section(creds, profile_) ||
      find_section(conf, profile_ == "default" ? "default" : "profile " + profile_);
  if (profile_explicit_ && !profile_known) {
    throw Error(ErrorKind::kConfig,
                fmt::format("AWS profile '{}' (AWS_PROFILE) is not in {} nor in {}", profile_,
                            cred_file.string(), conf_file.string()),
                "create it with `aws configure --profile " + profile_ + "` or unset AWS_PROFILE");
  }
  return std::nullopt;
}

AwsCredentials AwsConfigChain::credentials() const {
  if (auto c = find_credentials()) return *c;
  throw Error(ErrorKind::kAuth,
              fmt::format("no AWS credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set "
                          "and profile '{}' has none in {} or {}",
                          profile_, credentials_file().string(), config_file().string()),
              "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for "
              "temporary credentials), or run `aws configure` / set AWS_PROFILE");
}

std::optional<std::string> AwsConfigChain::region() const {
  if (auto r = env("AWS_REGION")) return r;
  if (auto r = env("AWS_DEFAULT_REGION")) return r;
  IniSections conf = load(config_file());
  const auto* s = find_section(conf, profile_ == "default" ? "default" : "profile " + profile_);
  if (s && !get(*s, "region").empty()) return get(*s, "region");
  return std::nullopt;
}

std::string AwsConfigChain::region_source() const {
  if (env("AWS_REGION")) return "env AWS_REGION";
  if (env("AWS_DEFAULT_REGION")) return "env AWS_DEFAULT_REGION";
  return fmt::format("{} [{}]", config_file().string(),
                     profile_ == "default" ? "default" : "profile " + profile_);
}

std::string AwsConfigChain::require_region() const {
  if (auto r = region()) return *r;
  throw Error(ErrorKind::kConfig, "no AWS region is configured",
              "pass --region, or set AWS_REGION, or set `region` in ~/.aws/config (aws "
              "configure)");
}

bool AwsConfigChain::endpoint_overridden(const ServiceInfo& service) const {
  return env(endpoint_env_name(service)) || env("AWS_ENDPOINT_URL");
}

std::string AwsConfigChain::endpoint(const ServiceInfo& service, const std::string& region) const {
  auto strip = [](std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
  };
  if (auto e = env(endpoint_env_name(service))) return strip(*e);
  if (auto e = env("AWS_ENDPOINT_URL")) return strip(*e);
  std::string suffix = region.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return fmt::format("https://{}.{}.{}", service.endpoint_prefix, region, suffix);
}

}  // namespace mlbox::cloud::aws
