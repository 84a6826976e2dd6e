// Where a registry lives, as far as a cloud job is concerned.
#pragma once

#include <string_view>

namespace mlbox::manifest {

// True when `registry` ("host[:port]", the first component of an image reference) names this
// machine: exactly "localhost", an IPv4 literal in 127.0.0.0/8, or the IPv6 "::1" ("[::1]:5000").
// A cloud job cannot pull from such a registry. Names that merely start with "127." are not
// loopback ("127.0.0.1.nip.io" resolves anywhere).
bool is_loopback_registry(std::string_view registry);

// The registry part of "host[:port]/path[:tag][@digest]": the first component when it holds a
// '.', a ':' or is "localhost" (Docker's rule); "docker.io" otherwise.
std::string_view registry_of_reference(std::string_view reference);

}  // namespace mlbox::manifest
