#include "cloud/gcp/google_api.h"

#include <fmt/format.h>

#include "util/error.h"
#include "util/redact.h"

namespace mlbox::cloud::gcp {

void throw_google_error(const std::string& method, const std::string& url,
                        const net::Outcome& outcome) {
  std::string where = method + " " + redact_url(url);
  if (!outcome.ok()) {
    throw Error(ErrorKind::kNetwork, fmt::format("{}: {}", where, net::describe(outcome)),
                "check the network (and proxy settings) and try again");
  }
  const auto& r = outcome.response;
  std::string status, message;
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const auto& e = j["error"];
    if (e.contains("status") && e["status"].is_string()) status = e["status"].get<std::string>();
    if (e.contains("message") && e["message"].is_string())
      message = e["message"].get<std::string>();
  }
  std::string text =
      fmt::format("{}: HTTP {}{}{}", where, r.status, status.empty() ? "" : " " + status,
                  message.empty() ? "" : ": " + message);
  if (r.status == 401) {
    throw Error(ErrorKind::kAuth, text,
                "the access token was refused: run `gcloud auth application-default login`, or "
                "check GOOGLE_APPLICATION_CREDENTIALS");
  }
  if (r.status == 403) {
    throw Error(
        ErrorKind::kAuth, text,
        "the credentials lack permission (or the API is not enabled for the project): "
        "grant the role named above, or `gcloud services enable aiplatform.googleapis.com`");
  }
  throw Error(ErrorKind::kRemote, text);
}

net::Outcome GoogleApi::send(net::Request request, const net::RetryPolicy& policy) {
  request.headers.emplace_back("Authorization", "Bearer " + token_());
  if (quota_project_) {
    if (std::string q = quota_project_(); !q.empty())
      request.headers.emplace_back("x-goog-user-project", q);
  }
  return http_.send(request, policy);
}

nlohmann::json GoogleApi::call(const std::string& method, const std::string& url,
                               const nlohmann::json& body, const net::RetryPolicy& policy) {
  net::Request r;
  r.method = method;
  r.url = url;
  r.headers = {{"Accept", "application/json"}};
  if (!body.is_null()) {
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = body.dump();
  }
  net::Outcome o = send(r, policy);
  if (!o.ok() || o.response.status >= 400) throw_google_error(method, url, o);
  if (o.response.body.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(o.response.body, nullptr, false);
  if (j.is_discarded()) {
    throw Error(ErrorKind::kRemote, fmt::format("{} {}: HTTP {} with a body that is not JSON",
                                                method, redact_url(url), o.response.status));
  }
  return j;
}

}  // namespace mlbox::cloud::gcp
