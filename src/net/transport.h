// How a request reaches the network: the seam between HttpClient (retries, plain-HTTP rule,
// tracing) and the code that moves bytes. Two implementations, picked at link time:
// net_curl/ (libcurl's multi loop; the `mlbox` CLI) and net_socket/ (POSIX sockets and
// OpenSSL, HTTP/1.1; mlbox-trainer, whose bundle in every image must stay small). Each
// defines make_transport(); a program links exactly one of mlbox_net_curl, mlbox_net_socket.
#pragma once

#include <future>
#include <memory>

#include "net/http_types.h"
#include "net/transport_config.h"

namespace mlbox::net {

class Transport {
 public:
  virtual ~Transport() = default;
  // Runs one request (following redirects when asked, never retrying); the future holds its
  // Outcome. Safe to call from many threads at once.
  virtual std::future<Outcome> submit(Request request) = 0;
  virtual const TransportConfig& config() const = 0;
};

// The program's transport (see the file comment).
std::unique_ptr<Transport> make_transport(TransportConfig config);

}  // namespace mlbox::net
