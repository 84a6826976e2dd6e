#include "net_socket/proxy_env.h"

#include <cctype>
#include <cstdlib>

#include "net_socket/transport_error.h"
#include "net_socket/url_parts.h"
#include "util/encoding.h"
#include "util/strings.h"

namespace mlbox::net {

namespace {

std::string percent_decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::optional<std::string> first_set(const EnvLookup& env,
                                     std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (auto v = env(name); v && !v->empty()) return v;
  }
  return std::nullopt;
}

}  // namespace

EnvLookup process_env_lookup() {
  return [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
}

bool no_proxy_matches(std::string_view no_proxy, std::string_view host) {
  std::string h = to_lower(host);
  std::string list(no_proxy);
  for (char& c : list) {
    if (c == ' ' || c == '\t') c = ',';
  }
  for (const auto& raw : split(list, ',')) {
    std::string entry = to_lower(trim(raw));
    if (entry.empty()) continue;
    if (entry == "*") return true;
    if (entry.front() == '[' && entry.back() == ']') entry = entry.substr(1, entry.size() - 2);
    if (entry.front() == '.') entry.erase(0, 1);
    if (h == entry) return true;
    if (h.size() > entry.size() && h.ends_with(entry) && h[h.size() - entry.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

std::optional<ProxyTarget> proxy_for(std::string_view scheme, std::string_view host,
                                     const EnvLookup& env) {
  if (auto no = first_set(env, {"no_proxy", "NO_PROXY"}); no && no_proxy_matches(*no, host)) {
    return std::nullopt;
  }
  std::optional<std::string> value =
      scheme == "https" ? first_set(env, {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"})
                        : first_set(env, {"http_proxy", "all_proxy", "ALL_PROXY"});
  if (!value) return std::nullopt;
  std::string url = *value;
  if (url.find("://") == std::string::npos) url = "http://" + url;  // curl's default scheme
  std::string proxy_scheme = to_lower(url.substr(0, url.find("://")));
  if (proxy_scheme != "http") {
    throw TransportError(TransportFailure::kOther,
                         "proxy scheme " + proxy_scheme +
                             ":// is not supported by this transport (http:// proxies only)");
  }
  ProxyTarget proxy;
  auto start = url.find("://") + 3;
  auto end = url.find_first_of("/?#", start);
  std::string auth = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (auto at = auth.rfind('@'); at != std::string::npos) {
    std::string userinfo = auth.substr(0, at);
    auth.erase(0, at + 1);
    proxy.authorization = "Basic " + base64_encode(percent_decode(userinfo));
  }
  UrlParts parts = parse_url("http://" + auth);
  proxy.host = parts.host;
  // No port in the proxy URL means curl's default, 1080.
  bool explicit_port = auth.find(':', auth.rfind(']') == std::string::npos ? 0 : auth.rfind(']')) !=
                       std::string::npos;
  proxy.port = explicit_port ? parts.port : 1080;
  proxy.display = "http://" + parts.host_port();
  return proxy;
}

}  // namespace mlbox::net
