#include "util/redact.h"

#include <array>
#include <cctype>
#include <vector>

#include "util/strings.h"

namespace mlbox {

namespace {

bool secret_param(std::string_view key) {
  static const std::array<std::string_view, 10> kSecret = {"x-amz-signature",
                                                           "x-amz-credential",
                                                           "x-amz-security-token",
                                                           "signature",
                                                           "access_token",
                                                           "token",
                                                           "sig",
                                                           "password",
                                                           "client_secret",
                                                           "refresh_token"};
  std::string k = to_lower(key);
  for (auto s : kSecret) {
    if (k == s) return true;
  }
  return false;
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::string out(url);
  auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    auto host_start = scheme + 3;
    auto path_start = out.find_first_of("/?#", host_start);
    auto at = out.rfind('@', path_start == std::string::npos ? out.size() : path_start);
    if (at != std::string::npos && at >= host_start) out.erase(host_start, at + 1 - host_start);
  }
  auto q = out.find('?');
  if (q == std::string::npos) return out;
  std::string base = out.substr(0, q + 1);
  std::string query = out.substr(q + 1);
  std::string fragment;
  if (auto h = query.find('#'); h != std::string::npos) {
    fragment = query.substr(h);
    query.resize(h);
  }
  std::vector<std::string> parts = split(query, '&');
  for (auto& p : parts) {
    auto eq = p.find('=');
    if (eq != std::string::npos && secret_param(p.substr(0, eq)))
      p = p.substr(0, eq + 1) + "REDACTED";
  }
  return base + join(parts, "&") + fragment;
}

bool is_secret_env_name(std::string_view name) {
  static const std::array<std::string_view, 7> kSecretWords = {
      "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIALS", "CREDENTIAL", "AUTH"};
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::vector<std::string> words = split(upper, '_');
  for (size_t i = 0; i < words.size(); ++i) {
    for (auto w : kSecretWords) {
      if (words[i] == w) return true;
    }
    if (words[i] == "KEY" && i > 0 &&
        (words[i - 1] == "API" || words[i - 1] == "ACCESS" || words[i - 1] == "PRIVATE" ||
         words[i - 1] == "SECRET")) {
      return true;
    }
  }
  // "APIKEY", "ACCESSTOKEN", "GITHUBTOKEN": a secret word at the end of a joined name.
  for (std::string_view w : {"TOKEN", "SECRET", "PASSWORD", "APIKEY"}) {
    if (upper.size() >= w.size() && upper.compare(upper.size() - w.size(), w.size(), w) == 0) {
      return true;
    }
  }
  return false;
}

std::string redact_env_value(std::string_view name, std::string_view value) {
  if (is_secret_env_name(name)) return "REDACTED";
  return redact_url(value);
}

}  // namespace mlbox
