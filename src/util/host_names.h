// Which host names are this machine. Shared by the plain-HTTP rule (net/) and the check that a
// cloud job's image is not in a registry only this machine can reach (manifest/, jobs/).
#pragma once

#include <string_view>

namespace mlbox {

// "host[:port]" names this machine: an IPv4 literal in 127.0.0.0/8, the IPv6 literal ::1
// (bracketed or not), or exactly "localhost" (any case). Names that merely start with "127."
// or "localhost" are not: 127.0.0.1.nip.io resolves wherever its owner says.
bool is_loopback_host(std::string_view host_port);

}  // namespace mlbox
