// Which proxy a request goes through, read from the environment the way curl reads it:
// https_proxy / HTTPS_PROXY for https URLs, http_proxy (lowercase only, as curl) for http,
// all_proxy / ALL_PROXY for both, and no_proxy / NO_PROXY ("*", host names matching as
// domain suffixes, IP literals exactly) to bypass.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace mlbox::net {

struct ProxyTarget {
  std::string host;
  int port = 1080;
  // "Basic <base64>" when the proxy URL carried user:password; empty otherwise.
  std::string authorization;
  // The proxy URL without credentials, for error messages.
  std::string display;
};

using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
EnvLookup process_env_lookup();

// The proxy for a request to scheme://host (nullopt: connect directly). Throws
// TransportError(kOther) for a proxy this transport cannot speak (https://, socks).
std::optional<ProxyTarget> proxy_for(std::string_view scheme, std::string_view host,
                                     const EnvLookup& env);

// Whether a no_proxy list names this host.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host);

}  // namespace mlbox::net
