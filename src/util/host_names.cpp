#include "util/host_names.h"

#include <arpa/inet.h>

#include <algorithm>
#include <string>

#include "util/strings.h"

namespace mlbox {

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
  if (h == "localhost") return true;
  // inet_pton takes only complete literals: no trailing names, no "127.1" shorthand.
  unsigned char v4[4];
  if (::inet_pton(AF_INET, h.c_str(), v4) == 1) return v4[0] == 127;
  unsigned char v6[16];
  if (::inet_pton(AF_INET6, h.c_str(), v6) == 1) {
    static const unsigned char loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return std::equal(v6, v6 + 16, loopback);
  }
  return false;
}

}  // namespace mlbox
