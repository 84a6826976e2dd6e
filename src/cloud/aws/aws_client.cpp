#include "cloud/aws/aws_client.h"

#include <array>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "util/encoding.h"
#include "util/redact.h"

namespace mlbox::cloud::aws {

namespace {

std::string xml_element(std::string_view body, std::string_view name) {
  std::string open = fmt::format("<{}>", name), close = fmt::format("</{}>", name);
  auto a = body.find(open);
  if (a == std::string_view::npos) return {};
  a += open.size();
  auto b = body.find(close, a);
  return b == std::string_view::npos ? "" : std::string(body.substr(a, b - a));
}

}  // namespace

AwsErrorBody parse_aws_error(const net::Response& response) {
  AwsErrorBody e;
  auto j = nlohmann::json::parse(response.body, nullptr, false);
  if (j.is_object()) {
    for (const char* key : {"__type", "code", "Code"}) {
      if (j.contains(key) && j[key].is_string()) {
        e.code = j[key].get<std::string>();
        break;
      }
    }
    for (const char* key : {"message", "Message", "errorMessage"}) {
      if (j.contains(key) && j[key].is_string()) {
        e.message = j[key].get<std::string>();
        break;
      }
    }
  } else if (response.body.find("<Error>") != std::string::npos) {
    e.code = xml_element(response.body, "Code");
    e.message = xml_element(response.body, "Message");
  }
  if (e.code.empty()) {
    if (auto h = response.header("x-amzn-errortype")) e.code = *h;
  }
  // "com.amazonaws.ecr#RepositoryNotFoundException", "Code:http://internal.amazon.com/..."
  if (auto hash = e.code.rfind('#'); hash != std::string::npos) e.code = e.code.substr(hash + 1);
  if (auto colon = e.code.find(':'); colon != std::string::npos) e.code.resize(colon);
  return e;
}

bool is_auth_error_code(std::string_view code) {
  static const std::array<std::string_view, 12> kCodes = {"UnrecognizedClientException",
                                                          "InvalidSignatureException",
                                                          "SignatureDoesNotMatch",
                                                          "ExpiredTokenException",
                                                          "ExpiredToken",
                                                          "InvalidClientTokenId",
                                                          "MissingAuthenticationToken",
                                                          "IncompleteSignature",
                                                          "InvalidAccessKeyId",
                                                          "AuthFailure",
                                                          "RequestExpired",
                                                          "InvalidToken"};
  if (code.starts_with("AccessDenied")) return true;
  for (auto c : kCodes) {
    if (code == c) return true;
  }
  return false;
}

bool is_throttling_error_code(std::string_view code) {
  static const std::array<std::string_view, 8> kCodes = {"ThrottlingException",
                                                         "Throttling",
                                                         "ThrottledException",
                                                         "RequestThrottled",
                                                         "TooManyRequestsException",
                                                         "RequestLimitExceeded",
                                                         "SlowDown",
                                                         "ProvisionedThroughputExceededException"};
  for (auto c : kCodes) {
    if (code == c) return true;
  }
  return false;
}

AwsError call_error(const ServiceInfo& service, const std::string& operation,
                    const net::Request& request, const net::Outcome& outcome,
                    const AwsCredentials& credentials) {
  std::string what = fmt::format("{} {} ({} {})", service.service_id, operation, request.method,
                                 redact_url(request.url));
  if (!outcome.ok()) {
    return AwsError(ErrorKind::kNetwork, fmt::format("{}: {}", what, net::describe(outcome)),
                    "check the network, or the endpoint (" + endpoint_env_name(service) +
                        " / AWS_ENDPOINT_URL when set)",
                    "", 0);
  }
  AwsErrorBody body = parse_aws_error(outcome.response);
  long status = outcome.response.status;
  std::string message =
      fmt::format("{}: HTTP {}{}{}", what, status, body.code.empty() ? "" : " " + body.code,
                  body.message.empty() ? "" : ": " + body.message);
  bool auth =
      is_auth_error_code(body.code) || ((status == 401 || status == 403) && body.code.empty());
  if (auth) {
    return AwsError(ErrorKind::kAuth, message,
                    fmt::format("check the AWS credentials (from {}) and their permissions for "
                                "{}:{}; temporary credentials need AWS_SESSION_TOKEN and expire",
                                credentials.source, service.signing_name, operation),
                    body.code, status);
  }
  return AwsError(ErrorKind::kRemote, message, "", body.code, status);
}

AwsClient::AwsClient(net::HttpClient& http, const ServiceInfo& service, AwsCredentials credentials,
                     std::string region, std::string endpoint, AwsClientOptions options)
    : http_(http),
      service_(service),
      credentials_(std::move(credentials)),
      region_(std::move(region)),
      endpoint_(std::move(endpoint)),
      options_(std::move(options)) {
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
  if (!options_.sleep) {
    options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
}

AwsClient::AwsClient(net::HttpClient& http, const ServiceInfo& service,
                     CredentialsSource credentials, std::string region, std::string endpoint,
                     AwsClientOptions options)
    : AwsClient(http, service, AwsCredentials{}, std::move(region), std::move(endpoint),
                std::move(options)) {
  credentials_source_ = std::move(credentials);
}

SigningOptions AwsClient::signing_options() const {
  SigningOptions o;
  o.region = region_;
  o.service = service_.signing_name;
  return o;
}

net::Outcome AwsClient::attempt(net::Request request, const SigningOptions& signing,
                                const net::RetryPolicy& policy) {
  if (credentials_source_) credentials_ = credentials_source_();
  sign_request(request, credentials_, signing);
  return http_.send(request, policy);
}

net::Outcome AwsClient::send_raw(net::Request request, const SigningOptions& signing,
                                 const net::RetryPolicy& policy) {
  std::mt19937 rng(std::random_device{}());
  for (int tries = 0;; ++tries) {
    net::Outcome o = attempt(request, signing, policy);
    if (!o.ok() || o.response.status < 400 || tries >= options_.max_throttle_retries) return o;
    // 429/5xx were already retried by the HTTP layer's policy: retrying them here again
    // would multiply the attempts. This loop is for AWS's 400-status throttling codes.
    if (policy.retryable(o)) return o;
    if (!is_throttling_error_code(parse_aws_error(o.response).code)) return o;
    auto delay = options_.throttle_base_delay * (1 << tries);
    delay = std::chrono::milliseconds(static_cast<long>(
        static_cast<double>(delay.count()) * std::uniform_real_distribution(0.5, 1.0)(rng)));
    http_.observer().warn(fmt::format("{} throttled the request ({}); retrying in {} ms",
                                      service_.service_id, net::describe(o), delay.count()));
    options_.sleep(delay);
  }
}

net::Response AwsClient::send(const std::string& operation, net::Request request,
                              const SigningOptions& signing, const net::RetryPolicy& policy) {
  net::Outcome o = send_raw(request, signing, policy);
  if (!o.ok() || o.response.status >= 300) {
    throw call_error(service_, operation, request, o, credentials_);
  }
  return std::move(o.response);
}

namespace {

nlohmann::json parse_json_response(const ServiceInfo& service, const std::string& operation,
                                   const net::Request& request, const net::Response& response) {
  if (response.body.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(response.body, nullptr, false);
  if (j.is_discarded()) {
    throw AwsError(ErrorKind::kRemote,
                   fmt::format("{} {} ({} {}): HTTP {} answered with a body that is not JSON",
                               service.service_id, operation, request.method,
                               redact_url(request.url), response.status),
                   "check the endpoint URL", "", response.status);
  }
  return j;
}

}  // namespace

nlohmann::json AwsClient::call_json(const std::string& operation, const nlohmann::json& input) {
  net::Request r;
  r.method = "POST";
  r.url = endpoint_ + "/";
  r.headers = {{"Content-Type", "application/x-amz-json-1.1"},
               {"X-Amz-Target", service_.target_prefix + "." + operation}};
  r.body = input.dump();
  http_.observer().debug(fmt::format("{} {}", service_.service_id, operation));
  return parse_json_response(service_, operation, r, send(operation, r, signing_options()));
}

nlohmann::json AwsClient::call_rest(const std::string& operation, const std::string& method,
                                    const std::string& path, const nlohmann::json& input) {
  net::Request r;
  r.method = method;
  r.url = endpoint_ + path;
  r.headers = {{"Content-Type", "application/json"}};
  if (method != "GET") r.body = input.dump();
  http_.observer().debug(fmt::format("{} {}", service_.service_id, operation));
  return parse_json_response(service_, operation, r, send(operation, r, signing_options()));
}

std::string AwsClient::call_query(const std::string& operation, const std::string& api_version,
                                  const std::vector<std::pair<std::string, std::string>>& params) {
  net::Request r;
  r.method = "POST";
  r.url = endpoint_ + "/";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  std::string form =
      fmt::format("Action={}&Version={}", percent_encode(operation), percent_encode(api_version));
  for (const auto& [name, value] : params) {
    form += "&" + percent_encode(name) + "=" + percent_encode(value);
  }
  r.body = std::move(form);
  http_.observer().debug(fmt::format("{} {}", service_.service_id, operation));
  return send(operation, r, signing_options()).body;
}

}  // namespace mlbox::cloud::aws
