// WWW-Authenticate parsing (RFC 7235): `Bearer realm="...",service="...",scope="..."`,
// `Basic realm="..."`, several challenges in one header.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mlbox::registry {

struct AuthChallenge {
  std::string scheme;                         // lowercase: "bearer", "basic"
  std::map<std::string, std::string> params;  // lowercase names, unquoted values
  std::string param(const std::string& name) const;
};

std::vector<AuthChallenge> parse_www_authenticate(std::string_view header);

}  // namespace mlbox::registry
