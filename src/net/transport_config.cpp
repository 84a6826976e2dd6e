#include "net/transport_config.h"

#include <cstdlib>

#include "util/strings.h"

namespace mlbox::net {

std::string TransportConfig::ca_file_from(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("SSL_CERT_FILE");
  return env ? env : "";
}

std::vector<std::string> TransportConfig::connect_to_from_env() {
  const char* env = std::getenv("MLBOX_CONNECT_TO");
  std::vector<std::string> out;
  if (!env) return out;
  std::string entry;
  for (const char* p = env;; ++p) {
    if (*p == '\0' || *p == ',' || *p == ' ' || *p == '\n') {
      if (!entry.empty()) out.push_back(entry);
      entry.clear();
      if (*p == '\0') break;
    } else {
      entry += *p;
    }
  }
  return out;
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
