#include "manifest/registry_host.h"

#include "util/host_names.h"

namespace mlbox::manifest {

bool is_loopback_registry(std::string_view registry) {
  return is_loopback_host(registry);
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
