#include "manifest/registry_host.h"

#include <arpa/inet.h>

#include <string>

namespace mlbox::manifest {

namespace {

std::string_view host_of(std::string_view host_port) {
  if (host_port.starts_with("[")) {
    auto close = host_port.find(']');
    return close == std::string_view::npos ? host_port : host_port.substr(1, close - 1);
  }
  if (host_port.find(':') != host_port.rfind(':')) return host_port;  // bare IPv6 literal
  return host_port.substr(0, host_port.find(':'));
}

}  // namespace

bool is_loopback_registry(std::string_view registry) {
  std::string host(host_of(registry));
  if (host == "localhost") return true;
  in_addr v4{};
  if (host.size() <= INET_ADDRSTRLEN && ::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (host.size() <= INET6_ADDRSTRLEN && ::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

std::string_view registry_of_reference(std::string_view reference) {
  auto slash = reference.find('/');
  if (slash == std::string_view::npos) return "docker.io";
  std::string_view first = reference.substr(0, slash);
  if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
      first == "localhost") {
    return first;
  }
  return "docker.io";
}

}  // namespace mlbox::manifest
