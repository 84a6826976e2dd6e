// An absolute http(s) URL split the way an HTTP/1.1 client needs it, and a Location header
// resolved against the URL it answered.
#pragma once

#include <string>
#include <string_view>

namespace mlbox::net {

struct UrlParts {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6 literals; lowercase
  int port = 0;        // explicit or the scheme's default
  bool default_port = true;
  std::string target;  // path and query ("/" when empty); never the fragment
  // "host" or "host:port" as the Host header and CONNECT want it (brackets kept for IPv6).
  std::string authority() const;
  // host:port always (the pool key, CONNECT's target).
  std::string host_port() const;
};

// Throws TransportError(kOther) for what is not an absolute http or https URL.
UrlParts parse_url(std::string_view url);

// RFC 3986 reference resolution for what servers put in Location: absolute URLs,
// scheme-relative ("//host/x"), absolute paths and relative paths.
std::string resolve_location(std::string_view base, std::string_view location);

}  // namespace mlbox::net
