#include "net/redact_http.h"

#include <array>
#include <regex>

#include "util/redact.h"
#include "util/strings.h"

namespace mlbox::net {

namespace {

bool secret_name(const std::string& lower) {
  static const std::array<const char*, 9> kWords = {"token",  "secret",    "password",
                                                    "passwd", "signature", "credential",
                                                    "cookie", "session",   "api-key"};
  for (const char* w : kWords) {
    if (lower.find(w) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string redact_header_value(std::string_view name, std::string_view value) {
  std::string n = to_lower(name);
  if (n == "authorization" || n == "proxy-authorization") {
    auto space = value.find(' ');
    if (space == std::string_view::npos) return "REDACTED";
    return std::string(value.substr(0, space)) + " REDACTED";
  }
  if (n == "location" || n == "content-location") return redact_url(value);
  if (n == "www-authenticate") return std::string(value);  // realm/service/scope: no secrets
  if (secret_name(n)) return "REDACTED";
  return std::string(value);
}

std::string redact_body(std::string_view body, size_t max_chars) {
  static const std::regex kSecretField(
      R"re("([A-Za-z_-]*(token|secret|password|passwd|signature|credential|private_key)[A-Za-z_-]*)"\s*:\s*"(?:[^"\\]|\\.)*")re",
      std::regex::icase);
  std::string text(body.substr(0, std::min(body.size(), max_chars * 4)));
  text = std::regex_replace(text, kSecretField, "\"$1\":\"REDACTED\"");
  // Bearer tokens and JWTs that appear outside JSON fields.
  static const std::regex kJwt(R"(eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*)");
  text = std::regex_replace(text, kJwt, "REDACTED");
  if (text.size() > max_chars) text = text.substr(0, max_chars) + "...";
  return text;
}

}  // namespace mlbox::net
