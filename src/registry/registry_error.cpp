#include "registry/registry_error.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "net/http_client.h"
#include "net/redact_http.h"
#include "net/transport_config.h"
#include "util/redact.h"

namespace mlbox::registry {

std::optional<RegistryErrorBody> parse_error_body(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("errors") || !j["errors"].is_array() ||
      j["errors"].empty() || !j["errors"][0].is_object()) {
    return std::nullopt;
  }
  const auto& e = j["errors"][0];
  RegistryErrorBody out;
  out.code = e.value("code", "");
  out.message = e.value("message", "");
  if (e.contains("detail") && !e["detail"].is_null()) {
    out.detail = e["detail"].is_string() ? e["detail"].get<std::string>() : e["detail"].dump();
    out.detail = net::redact_body(out.detail, 300);
  }
  return out;
}

std::string error_code_suffix(std::string_view body) {
  auto e = parse_error_body(body);
  if (!e) return {};
  std::string s = " " + e->code;
  if (!e->message.empty()) s += ": " + e->message;
  if (!e->detail.empty()) s += " (" + e->detail + ")";
  return s;
}

namespace {

std::string hint_for(long status, const std::string& code, const std::string& host) {
  if (status == 401) {
    return fmt::format(
        "log in: docker login {} (mlbox reads ~/.docker/config.json, "
        "$DOCKER_CONFIG, $REGISTRY_AUTH_FILE)",
        host);
  }
  if (status == 403 || code == "DENIED") {
    return "your credentials lack access to this repository; check its permissions";
  }
  if (code == "NAME_UNKNOWN") return "check the repository name, or create it on the registry";
  if (code == "MANIFEST_UNKNOWN") return "check the tag or digest (skopeo list-tags docker://...)";
  if (code == "BLOB_UNKNOWN" || code == "MANIFEST_BLOB_UNKNOWN") {
    return "a blob the manifest names is missing on the registry; push again";
  }
  if (code == "DIGEST_INVALID" || code == "SIZE_INVALID") {
    return "the bytes sent did not match their digest; check the local store "
           "(mlbox build again) and push again";
  }
  if (status == 429) return "the registry is rate-limiting; wait and retry";
  if (status >= 500) return "the registry failed; retry later or check its status";
  return "check the reference and the registry's documentation for this error";
}

}  // namespace

Error http_error(const net::Request& request, const net::Outcome& outcome, std::string_view doing) {
  long status = outcome.response.status;
  auto body = parse_error_body(outcome.response.body);
  std::string code = body ? body->code : "";
  std::string message =
      fmt::format("{}: {}: HTTP {}{}", doing, net::describe(request), status,
                  body ? error_code_suffix(outcome.response.body) : std::string());
  ErrorKind kind = (status == 401 || status == 403) ? ErrorKind::kAuth : ErrorKind::kRemote;
  return Error(kind, message, hint_for(status, code, net::url_authority(request.url)));
}

Error transport_error(const net::Request& request, const net::Outcome& outcome,
                      std::string_view doing) {
  std::string hint;
  switch (outcome.failure) {
    case net::TransportFailure::kTls:
      hint =
          "check the registry's certificate: pass --ca-cert FILE (or set SSL_CERT_FILE), or "
          "--insecure-registry HOST for a registry without valid TLS";
      break;
    case net::TransportFailure::kResolve:
      hint = "check the registry host name and your DNS / proxy settings";
      break;
    default:
      hint =
          "check that the registry is reachable (address, port, https_proxy/no_proxy) and "
          "retry";
  }
  return Error(ErrorKind::kNetwork,
               fmt::format("{}: {}: {}", doing, net::describe(request), net::describe(outcome)),
               hint);
}

Error request_error(const net::Request& request, const net::Outcome& outcome,
                    std::string_view doing) {
  return outcome.ok() ? http_error(request, outcome, doing)
                      : transport_error(request, outcome, doing);
}

}  // namespace mlbox::registry
