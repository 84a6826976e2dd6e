#include "net/transport_config.h"

#include <cstdlib>

#include "util/error.h"
#include "util/strings.h"

namespace mlbox::net {

std::string TransportConfig::ca_file_from(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("SSL_CERT_FILE");
  return env ? env : "";
}

TransportConfig TransportConfig::for_cloud_api() {
  TransportConfig t;
  t.ca_file = ca_file_from("");
  t.user_agent = std::string("mlbox/") + MLBOX_VERSION;
  return t;
}

std::vector<std::string> parse_connect_to(std::string_view value) {
  std::vector<std::string> rules;
  std::string current;
  auto flush = [&] {
    if (current.empty()) return;
    size_t colons = 0;
    for (char c : current) colons += c == ':';
    if (colons != 3 || current.find(' ') != std::string::npos) {
      throw Error(ErrorKind::kUsage, "MLBOX_CONNECT_TO: bad rule '" + current + "'",
                  "write HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT (curl --connect-to "
                  "syntax), several separated by commas");
    }
    rules.push_back(current);
    current.clear();
  };
  for (char c : value) {
    if (c == ',' || c == ' ' || c == '\t' || c == '\n') {
      flush();
    } else {
      current.push_back(c);
    }
  }
  flush();
  return rules;
}

std::vector<std::string> TransportConfig::connect_to_from_env() {
  const char* env = std::getenv("MLBOX_CONNECT_TO");
  return env ? parse_connect_to(env) : std::vector<std::string>{};
}

namespace {

std::string strip_port(std::string_view host_port) {
  std::string h(host_port);
  if (!h.empty() && h.front() == '[') {
    auto close = h.find(']');
    return close == std::string::npos ? h : h.substr(1, close - 1);
  }
  auto colon = h.find(':');
  if (colon != std::string::npos && h.find(':', colon + 1) == std::string::npos) {
    h.resize(colon);
  }
  return h;
}

}  // namespace

bool is_loopback_host(std::string_view host_port) {
  std::string h = to_lower(strip_port(host_port));
  return h == "localhost" || h == "::1" || starts_with(h, "127.");
}

std::string url_scheme(std::string_view url) {
  auto pos = url.find("://");
  return pos == std::string_view::npos ? "" : to_lower(url.substr(0, pos));
}

std::string url_authority(std::string_view url) {
  auto pos = url.find("://");
  if (pos == std::string_view::npos) return "";
  auto start = pos + 3;
  auto end = url.find_first_of("/?#", start);
  std::string auth(url.substr(start, end == std::string_view::npos ? url.npos : end - start));
  if (auto at = auth.rfind('@'); at != std::string::npos) auth.erase(0, at + 1);
  return to_lower(auth);
}

}  // namespace mlbox::net
