#include "cloud/aws/ecr_client.h"

#include <regex>

#include <fmt/format.h>

#include "util/encoding.h"
#include "util/strings.h"

namespace mlbox::cloud::aws {

std::optional<EcrHost> parse_ecr_host(std::string_view host) {
  static const std::regex kHost(
      R"(^([0-9]{12})\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?(:[0-9]+)?$)",
      std::regex::icase);
  if (host.size() > 256) return std::nullopt;  // no DNS name is longer; the regex recurses
  std::string h(host);
  std::smatch m;
  if (!std::regex_match(h, m, kHost)) return std::nullopt;
  return EcrHost{m[1].str(), to_lower(m[3].str())};
}

namespace {}  // namespace

EcrToken decode_authorization_data(const nlohmann::json& data) {
  auto bad = [](const std::string& why) {
    return Error(ErrorKind::kRemote,
                 "ECR GetAuthorizationToken answered with unusable authorizationData: " + why,
                 "check the ECR endpoint (AWS_ENDPOINT_URL_ECR when set)");
  };
  if (!data.is_object() || !data.contains("authorizationToken") ||
      !data["authorizationToken"].is_string()) {
    throw bad("no authorizationToken");
  }
  auto decoded = base64_decode(data["authorizationToken"].get<std::string>());
  auto colon = decoded ? decoded->find(':') : std::string::npos;
  if (!decoded || colon == std::string::npos) throw bad("the token is not base64 of user:password");
  EcrToken t;
  t.username = decoded->substr(0, colon);
  t.password = decoded->substr(colon + 1);
  t.proxy_endpoint = data.value("proxyEndpoint", "");
  // JSON-protocol timestamps are epoch seconds (with a fraction).
  double expires = data.contains("expiresAt") && data["expiresAt"].is_number()
                       ? data["expiresAt"].get<double>()
                       : 0;
  auto now = std::chrono::system_clock::now();
  // Beyond year 2100 (or an overflow of the clock's nanoseconds) is not a real expiry.
  constexpr double kLatest = 4102444800.0;
  t.expires_at = expires > 0 && expires < kLatest
                     ? std::chrono::system_clock::time_point(
                           std::chrono::seconds(static_cast<int64_t>(expires)))
                     : now + std::chrono::hours(12);
  return t;
}

EcrToken EcrClient::get_authorization_token() {
  nlohmann::json out = client_.call_json("GetAuthorizationToken", nlohmann::json::object());
  if (!out.contains("authorizationData") || !out["authorizationData"].is_array() ||
      out["authorizationData"].empty()) {
    throw Error(ErrorKind::kRemote, "ECR GetAuthorizationToken returned no authorizationData",
                "check the ECR endpoint (AWS_ENDPOINT_URL_ECR when set)");
  }
  return decode_authorization_data(out["authorizationData"][0]);
}

bool EcrClient::repository_exists(const std::string& name, const std::string& account) {
  nlohmann::json in = {{"repositoryNames", {name}}};
  if (!account.empty()) in["registryId"] = account;
  try {
    nlohmann::json out = client_.call_json("DescribeRepositories", in);
    return out.contains("repositories") && !out["repositories"].empty();
  } catch (const AwsError& e) {
    if (e.code() == "RepositoryNotFoundException") return false;
    throw;
  }
}

std::string EcrClient::create_repository(const std::string& name, const std::string& account) {
  nlohmann::json in = {{"repositoryName", name}};
  if (!account.empty()) in["registryId"] = account;
  try {
    nlohmann::json out = client_.call_json("CreateRepository", in);
    if (out.contains("repository") && out["repository"].is_object()) {
      return out["repository"].value("repositoryUri", "");
    }
    return "";
  } catch (const AwsError& e) {
    if (e.code() == "RepositoryAlreadyExistsException") return "";
    throw;
  }
}

}  // namespace mlbox::cloud::aws
