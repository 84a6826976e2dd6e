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
const ServiceInfo& sts_service() {
  static const ServiceInfo s{"STS", "sts", "sts", ""};
  return s;
}
const ServiceInfo& pricing_service() {
  static const ServiceInfo s{"Pricing", "api.pricing", "pricing", "AWSPriceListService"};
  return s;
}
const ServiceInfo& ec2_service() {
  static const ServiceInfo s{"EC2", "ec2", "ec2", ""};
  return s;
}
const ServiceInfo& service_quotas_service() {
  static const ServiceInfo s{"Service Quotas", "servicequotas", "servicequotas",
                             "ServiceQuotasV20190624"};
  return s;
}
const ServiceInfo& sso_service() {
  static const ServiceInfo s{"SSO", "portal.sso", "awsssoportal", ""};
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
  std::string parent;  // the last key with an empty value: indented lines nest under it
  bool have_section = false;
  for (const auto& raw : split(text, '\n')) {
    std::string line(raw);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string_view t = trim(line);
    if (t.empty() || t.front() == '#' || t.front() == ';') continue;
    auto eq = t.find('=');
    // Indented lines continue a nested value ("s3 =\n  max_concurrent_requests = 4"),
    // kept as "s3.max_concurrent_requests".
    if (line.front() == ' ' || line.front() == '\t') {
      if (have_section && !parent.empty() && eq != std::string_view::npos)
        out[section][parent + "." + std::string(trim(t.substr(0, eq)))] =
            std::string(trim(t.substr(eq + 1)));
      continue;
    }
    parent.clear();
    if (t.front() == '[' && t.back() == ']') {
      section = std::string(trim(t.substr(1, t.size() - 2)));
      have_section = true;
      out[section];
      continue;
    }
    if (!have_section || eq == std::string_view::npos) continue;
    std::string key(trim(t.substr(0, eq)));
    std::string value(trim(t.substr(eq + 1)));
    if (value.empty()) parent = key;
    out[section][key] = value;
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

std::string config_section_name(const std::string& profile) {
  return profile == "default" ? "default" : "profile " + profile;
}

}  // namespace

std::string AwsProfile::get(const std::string& key) const {
  if (auto it = credentials.find(key); it != credentials.end() && !it->second.empty())
    return it->second;
  if (auto it = config.find(key); it != config.end()) return it->second;
  return "";
}

std::string AwsProfile::where(const std::string& key) const {
  if (auto it = credentials.find(key); it != credentials.end() && !it->second.empty())
    return credentials_where;
  return config_where;
}

AwsProfile AwsConfigChain::profile_settings(const std::string& name) const {
  AwsProfile p;
  p.name = name;
  fs::path cred_file = credentials_file();
  fs::path conf_file = config_file();
  IniSections creds = load(cred_file);
  IniSections conf = load(conf_file);
  if (auto it = creds.find(name); it != creds.end()) {
    p.credentials = it->second;
    p.in_credentials_file = true;
  }
  auto it = conf.find(config_section_name(name));
  if (it == conf.end() && name == "default") it = conf.find("profile default");
  if (it != conf.end()) {
    p.config = it->second;
    p.in_config_file = true;
  }
  p.credentials_where = fmt::format("{} [{}]", cred_file.string(), name);
  p.config_where = fmt::format("{} [{}]", conf_file.string(), config_section_name(name));
  return p;
}

std::optional<IniSection> AwsConfigChain::sso_session(const std::string& name) const {
  IniSections conf = load(config_file());
  auto it = conf.find("sso-session " + name);
  if (it == conf.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> AwsConfigChain::region() const {
  if (auto r = env("AWS_REGION")) return r;
  if (auto r = env("AWS_DEFAULT_REGION")) return r;
  AwsProfile p = profile_settings(profile_);
  if (auto it = p.config.find("region"); it != p.config.end() && !it->second.empty())
    return it->second;
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

std::string services_key(const ServiceInfo& service) {
  std::string key;
  for (char c : service.service_id)
    key += c == ' ' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

std::optional<std::string> AwsConfigChain::configured_endpoint(const ServiceInfo& service) const {
  auto ignore = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  AwsProfile p = profile_settings(profile_);
  if ((ignore && to_lower(*ignore) == "true") ||
      to_lower(p.get("ignore_configured_endpoint_urls")) == "true")
    return std::nullopt;
  // The SDKs' order: the service's variable, the profile's services section, the global
  // variable, the profile's endpoint_url.
  if (auto e = env(endpoint_env_name(service))) return e;
  if (std::string name = p.get("services"); !name.empty()) {
    IniSections conf = load(config_file());
    auto it = conf.find("services " + name);
    if (it != conf.end()) {
      auto url = it->second.find(services_key(service) + ".endpoint_url");
      if (url != it->second.end() && !url->second.empty()) return url->second;
    }
  }
  if (auto e = env("AWS_ENDPOINT_URL")) return e;
  if (std::string url = p.get("endpoint_url"); !url.empty()) return url;
  return std::nullopt;
}

bool AwsConfigChain::endpoint_overridden(const ServiceInfo& service) const {
  return configured_endpoint(service).has_value();
}

std::string AwsConfigChain::endpoint(const ServiceInfo& service, const std::string& region) const {
  auto strip = [](std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
  };
  if (auto e = configured_endpoint(service)) return strip(*e);
  std::string suffix = region.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return fmt::format("https://{}.{}.{}", service.endpoint_prefix, region, suffix);
}

}  // namespace mlbox::cloud::aws
