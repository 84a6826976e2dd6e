// One TCP connection, plain or TLS (OpenSSL), with every wait bounded: connecting by the
// connect timeout, each read and write by the stall timeout. Non-blocking underneath; reads
// are buffered so the HTTP parser can take lines and exact byte counts.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace mlbox::net {

class SocketConnection {
 public:
  // Resolves and connects (each address in turn); throws TransportError kResolve, kConnect or
  // kTimeout.
  static std::unique_ptr<SocketConnection> open(const std::string& host, int port,
                                                std::chrono::seconds connect_timeout,
                                                std::chrono::seconds stall_timeout);
  ~SocketConnection();
  SocketConnection(const SocketConnection&) = delete;
  SocketConnection& operator=(const SocketConnection&) = delete;

  // TLS handshake with SNI `server_name`; with `verify`, the chain must reach ctx's trust
  // and the certificate must name `server_name` (a DNS name or an IP literal). Throws kTls.
  void start_tls(SSL_CTX* ctx, const std::string& server_name, bool verify,
                 std::chrono::seconds timeout);

  void write_all(std::string_view data);
  // The next line without its CRLF; throws kReset at EOF first.
  std::string read_line(size_t max_length = 64 * 1024);
  // Up to `max` bytes (buffered ones first); 0 only at EOF.
  size_t read_some(char* out, size_t max);
  // Whether the peer closed (or sent unexpected bytes on) an idle connection.
  bool idle_connection_dead();

 private:
  SocketConnection(int fd, std::chrono::seconds stall_timeout) : fd_(fd), stall_(stall_timeout) {}
  void wait(short events, std::chrono::milliseconds timeout, const char* what);
  size_t raw_read(char* out, size_t max);

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::chrono::seconds stall_;
  std::string buffer_;
  size_t buffer_pos_ = 0;
};

}  // namespace mlbox::net
