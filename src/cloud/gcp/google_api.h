// Authorized JSON calls to Google REST APIs (Vertex AI, Cloud Logging, Cloud Storage):
// Bearer token from ADC, the quota project as x-goog-user-project (when there is one),
// retries per net::RetryPolicy, and Google's error JSON
// ({"error": {"code", "message", "status"}}) turned into an Error that names the URL,
// the HTTP status, the status name and the message.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "net/http_client.h"

namespace mlbox::cloud::gcp {

class GoogleApi {
 public:
  using TokenFn = std::function<std::string()>;
  // `quota_project`: the project billed for quota (AdcCredentials::quota_project()); null or
  // "" sends no x-goog-user-project.
  GoogleApi(net::HttpClient& http, TokenFn token, TokenFn quota_project = nullptr)
      : http_(http), token_(std::move(token)), quota_project_(std::move(quota_project)) {}

  // Sends `body` (when not null) as JSON; returns the parsed reply (an empty object for an
  // empty body). Errors: 401/403 -> kAuth, 404/409/400 -> kRemote (kConfig for 400 would
  // hide that the server decided), transport -> kNetwork.
  // `policy`: pass one without status retries for calls that are not idempotent (create).
  nlohmann::json call(const std::string& method, const std::string& url,
                      const nlohmann::json& body = nullptr,
                      const net::RetryPolicy& policy = net::RetryPolicy{});
  // A request with the Authorization header added (for media up/downloads).
  net::Outcome send(net::Request request, const net::RetryPolicy& policy = net::RetryPolicy{});
  net::HttpClient& http() { return http_; }

 private:
  net::HttpClient& http_;
  TokenFn token_;
  TokenFn quota_project_;
};

// Throws the Error for a failed Google API outcome (status >= 400 or transport failure).
[[noreturn]] void throw_google_error(const std::string& method, const std::string& url,
                                     const net::Outcome& outcome);

}  // namespace mlbox::cloud::gcp
