// HTTP/1.1 on one SocketConnection: the request head and body out, the response head
// (1xx skipped) and body in, with Content-Length, chunked and read-to-close framing.
#pragma once

#include <functional>
#include <string>

#include "net/http_types.h"
#include "net_socket/socket_connection.h"

namespace mlbox::net {

struct ResponseHead {
  long status = 0;
  bool http11 = true;
  Headers headers;  // names lowercase
  std::string header(std::string_view name) const;
};

// Sends "METHOD target HTTP/1.1", `headers` and the body of `request` (a string or a file
// slice); `on_sent` sees the running count of body bytes sent.
void write_request(SocketConnection& conn, const std::string& method, const std::string& target,
                   const Headers& headers, const Request& request,
                   const std::function<void(uint64_t)>& on_sent);

ResponseHead read_response_head(SocketConnection& conn);

// Reads the body that `head` announces into `sink` (returning false stops: the connection is
// then unusable). Returns whether the connection may carry another request. Throws
// TransportError kReset when the peer closes before a framed body is complete.
bool read_response_body(SocketConnection& conn, const ResponseHead& head, bool head_request,
                        const std::function<bool(const char*, size_t)>& sink);

}  // namespace mlbox::net
