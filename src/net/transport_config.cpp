#include "net/transport_config.h"

#include <arpa/inet.h>

#include <algorithm>
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

bool host_listed(const std::vector<std::string>& hosts, std::string_view authority) {
  std::string a = to_lower(authority);
  for (const auto& h : hosts) {
    std::string l = to_lower(h);
    if (l == a) return true;
    if (a.size() > l.size() && starts_with(a, l) && a[l.size()] == ':') return true;
  }
  return false;
}

bool plain_http_allowed(const TransportConfig& config, std::string_view authority) {
  return is_loopback_host(authority) || host_listed(config.insecure_hosts, authority);
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
