#include "net_socket/url_parts.h"

#include <charconv>

#include "net_socket/transport_error.h"
#include "util/strings.h"

namespace mlbox::net {

namespace {

[[noreturn]] void bad_url(std::string_view why) {
  throw TransportError(TransportFailure::kOther, "bad URL: " + std::string(why));
}

}  // namespace

std::string UrlParts::authority() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return default_port ? h : h + ":" + std::to_string(port);
}

std::string UrlParts::host_port() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

UrlParts parse_url(std::string_view url) {
  UrlParts u;
  auto sep = url.find("://");
  if (sep == std::string_view::npos) bad_url("no scheme");
  u.scheme = to_lower(url.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https") bad_url("scheme " + u.scheme + " is not http(s)");
  std::string_view rest = url.substr(sep + 3);
  auto end = rest.find_first_of("/?#");
  std::string_view auth = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (auto at = auth.rfind('@'); at != std::string_view::npos) auth.remove_prefix(at + 1);
  std::string_view port_text;
  if (!auth.empty() && auth.front() == '[') {
    auto close = auth.find(']');
    if (close == std::string_view::npos) bad_url("unterminated IPv6 literal");
    u.host = to_lower(auth.substr(1, close - 1));
    std::string_view after = auth.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') bad_url("junk after IPv6 literal");
      port_text = after.substr(1);
    }
  } else if (auto colon = auth.rfind(':'); colon != std::string_view::npos) {
    u.host = to_lower(auth.substr(0, colon));
    port_text = auth.substr(colon + 1);
  } else {
    u.host = to_lower(auth);
  }
  if (u.host.empty()) bad_url("no host");
  u.port = u.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    int port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port <= 0 ||
        port > 65535) {
      bad_url("bad port '" + std::string(port_text) + "'");
    }
    u.default_port = port == u.port;
    u.port = port;
  }
  if (auto hash = tail.find('#'); hash != std::string_view::npos) tail = tail.substr(0, hash);
  u.target = tail.empty() || tail.front() != '/' ? "/" + std::string(tail) : std::string(tail);
  return u;
}

std::string resolve_location(std::string_view base, std::string_view location) {
  std::string lower = to_lower(location.substr(0, 8));
  if (starts_with(lower, "http://") || starts_with(lower, "https://")) return std::string(location);
  auto sep = base.find("://");
  std::string scheme(base.substr(0, sep));
  if (starts_with(location, "//")) return scheme + ":" + std::string(location);
  auto path_start = base.find_first_of("/?#", sep + 3);
  std::string origin(base.substr(0, path_start));
  if (starts_with(location, "/")) return origin + std::string(location);
  // A relative path: replace the last segment of the base's path.
  std::string path =
      path_start == std::string_view::npos ? "/" : std::string(base.substr(path_start));
  if (auto q = path.find_first_of("?#"); q != std::string::npos) path.erase(q);
  if (starts_with(location, "?")) return origin + path + std::string(location);
  path.erase(path.rfind('/') + 1);
  return origin + path + std::string(location);
}

}  // namespace mlbox::net
