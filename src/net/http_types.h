// Requests and responses as the rest of mlbox sees them; libcurl and sockets stay inside the
// transports (net_curl/, net_socket/).
#pragma once

#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace mlbox::net {

// A request body read from a file slice (re-readable, so a retry can send it again).
struct FileRange {
  std::filesystem::path path;
  uint64_t offset = 0;
  uint64_t length = 0;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::variant<std::monostate, std::string, FileRange> body;
  // When set, response body bytes go here (on the transfer thread) instead of into
  // Response::body; returning false aborts the transfer.
  std::function<bool(const char* data, size_t size)> on_body;
  // Called before a retry re-sends a request whose on_body already took bytes: the receiver
  // starts over (truncates its file, resets its hash). Without it such a request is not
  // retried, since the second answer would be appended to the first one's half.
  std::function<void()> on_body_restart;
  // Bytes sent and received so far (on the transfer thread).
  std::function<void(uint64_t sent, uint64_t received)> on_progress;
  bool follow_redirects = false;
  size_t max_body = 16u << 20;  // bytes kept in Response::body (more is an error)
  uint64_t body_size() const;
};

struct Response {
  long status = 0;
  Headers headers;  // of the final response; names lowercase
  std::string body;
  std::string effective_url;
  // First header named `name` (case-insensitive).
  std::optional<std::string> header(std::string_view name) const;
};

// Why a transfer produced no HTTP response.
enum class TransportFailure {
  kNone,
  kResolve,  // DNS
  kConnect,  // refused / unreachable
  kReset,    // connection reset or closed early (EOF, partial response)
  kTimeout,  // connect timeout or stalled transfer
  kTls,      // handshake or certificate
  kAborted,  // a callback asked to stop
  kOther,
};
const char* failure_name(TransportFailure failure);

struct Outcome {
  TransportFailure failure = TransportFailure::kNone;
  std::string error;  // the transport's text for the failure (holds no credentials)
  Response response;
  // What Request::on_body threw (a full disk, say): the transfer stops, and HttpClient::send
  // rethrows it on the caller's thread. An exception must never cross libcurl's (or OpenSSL's) C
  // frames.
  std::exception_ptr sink_error;
  // Set when a redirect pointed at plain HTTP on a host that may not use it: the URL it
  // named (nothing was sent there).
  std::string refused_redirect;
  bool ok() const { return failure == TransportFailure::kNone; }
};

}  // namespace mlbox::net
