#include "net_socket/socket_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "net_socket/transport_error.h"

namespace mlbox::net {

namespace {

using Clock = std::chrono::steady_clock;

std::string openssl_errors() {
  std::string text;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  return text;
}

// SSL_write() writes to the socket with write(2): a peer that closed would raise SIGPIPE and
// kill the process. Block it on this thread for the call, and take a pending one back.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    blocked_ = pthread_sigmask(SIG_BLOCK, &pipe_, &old_) == 0;
  }
  ~SigpipeBlock() {
    if (!blocked_) return;
    if (!was_pending_) {
      timespec zero{0, 0};
      while (sigtimedwait(&pipe_, nullptr, &zero) > 0) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_, old_;
  bool was_pending_ = false;
  bool blocked_ = false;
};

bool is_ip_literal(const std::string& host) {
  in6_addr a6;
  in_addr a4;
  return inet_pton(AF_INET, host.c_str(), &a4) == 1 || inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

}  // namespace

std::unique_ptr<SocketConnection> SocketConnection::open(const std::string& host, int port,
                                                         std::chrono::seconds connect_timeout,
                                                         std::chrono::seconds stall_timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    throw TransportError(TransportFailure::kResolve,
                         "could not resolve host " + host + ": " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, freeaddrinfo);
  auto deadline = Clock::now() + connect_timeout;
  std::string last_error = "no address";
  bool timed_out = false;
  for (addrinfo* ai = found; ai; ai = ai->ai_next) {
    int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    std::unique_ptr<SocketConnection> c(new SocketConnection(fd, stall_timeout));
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) return c;
    if (errno != EINPROGRESS) {
      last_error = std::strerror(errno);
      continue;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{fd, POLLOUT, 0};
    int ready = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (ready == 0) {
      timed_out = true;
      last_error = "timed out after " + std::to_string(connect_timeout.count()) + " s";
      break;
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (ready > 0 && err == 0) return c;
    last_error = std::strerror(err ? err : errno);
  }
  throw TransportError(timed_out ? TransportFailure::kTimeout : TransportFailure::kConnect,
                       "failed to connect to " + host + " port " + service + ": " + last_error);
}

SocketConnection::~SocketConnection() {
  if (ssl_) SSL_free(ssl_);
  if (fd_ >= 0) ::close(fd_);
}

void SocketConnection::wait(short events, std::chrono::milliseconds timeout, const char* what) {
  pollfd p{fd_, events, 0};
  for (;;) {
    int rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (rc > 0) return;
    if (rc == 0) {
      throw TransportError(TransportFailure::kTimeout,
                           std::string(what) + " stalled: nothing for " +
                               std::to_string(timeout.count() / 1000) + " s");
    }
    if (errno != EINTR) throw TransportError(TransportFailure::kReset, std::strerror(errno));
  }
}

void SocketConnection::start_tls(SSL_CTX* ctx, const std::string& server_name, bool verify,
                                 std::chrono::seconds timeout) {
  ERR_clear_error();
  ssl_ = SSL_new(ctx);
  if (!ssl_) throw TransportError(TransportFailure::kTls, "SSL_new: " + openssl_errors());
  SSL_set_fd(ssl_, fd_);
  bool ip = is_ip_literal(server_name);
  if (!ip) SSL_set_tlsext_host_name(ssl_, server_name.c_str());
  if (verify) {
    SSL_set_verify(ssl_, SSL_VERIFY_PEER, nullptr);
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, server_name.c_str())
                : X509_VERIFY_PARAM_set1_host(param, server_name.c_str(), 0);
    if (ok != 1) throw TransportError(TransportFailure::kTls, "cannot verify name " + server_name);
  } else {
    SSL_set_verify(ssl_, SSL_VERIFY_NONE, nullptr);
  }
  auto deadline = Clock::now() + timeout;
  for (;;) {
    SigpipeBlock block;
    int rc = SSL_connect(ssl_);
    if (rc == 1) return;
    int err = SSL_get_error(ssl_, rc);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (left.count() <= 0)
        throw TransportError(TransportFailure::kTimeout, "TLS handshake timed out");
      wait(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, left, "TLS handshake");
      continue;
    }
    std::string why;
    long verify_result = SSL_get_verify_result(ssl_);
    if (verify && verify_result != X509_V_OK) {
      why =
          std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify_result);
    } else {
      why = openssl_errors();
      if (why.empty())
        why = err == SSL_ERROR_SYSCALL ? "connection closed during handshake" : "handshake failed";
    }
    throw TransportError(TransportFailure::kTls, "TLS with " + server_name + ": " + why);
  }
}

void SocketConnection::write_all(std::string_view data) {
  while (!data.empty()) {
    if (ssl_) {
      SigpipeBlock block;
      ERR_clear_error();
      int n =
          SSL_write(ssl_, data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 20)));
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
        wait(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, stall_, "send");
        continue;
      }
      throw TransportError(TransportFailure::kReset, "send failed: connection reset by peer");
    }
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      wait(POLLOUT, stall_, "send");
    } else {
      throw TransportError(TransportFailure::kReset,
                           std::string("send failed: ") + std::strerror(errno));
    }
  }
}

size_t SocketConnection::raw_read(char* out, size_t max) {
  for (;;) {
    if (ssl_) {
      ERR_clear_error();
      int n = SSL_read(ssl_, out, static_cast<int>(std::min<size_t>(max, 1 << 20)));
      if (n > 0) return static_cast<size_t>(n);
      int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_ZERO_RETURN) return 0;
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        wait(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, stall_, "receive");
        continue;
      }
      // A peer that closes the TCP connection without close_notify: EOF for HTTP framing to
      // judge (Content-Length or chunked tells whether the body was whole).
      if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) return 0;
      if (err == SSL_ERROR_SSL &&
          ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        return 0;
      }
      throw TransportError(TransportFailure::kReset, "receive failed: " + openssl_errors());
    }
    ssize_t n = ::recv(fd_, out, max, 0);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EAGAIN || errno == EINTR) {
      wait(POLLIN, stall_, "receive");
      continue;
    }
    throw TransportError(TransportFailure::kReset,
                         std::string("receive failed: ") + std::strerror(errno));
  }
}

size_t SocketConnection::read_some(char* out, size_t max) {
  if (buffer_pos_ < buffer_.size()) {
    size_t n = std::min(max, buffer_.size() - buffer_pos_);
    std::memcpy(out, buffer_.data() + buffer_pos_, n);
    buffer_pos_ += n;
    return n;
  }
  return raw_read(out, max);
}

std::string SocketConnection::read_line(size_t max_length) {
  for (;;) {
    auto nl = buffer_.find('\n', buffer_pos_);
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(buffer_pos_, nl - buffer_pos_);
      buffer_pos_ = nl + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (buffer_.size() - buffer_pos_ > max_length) {
      throw TransportError(TransportFailure::kOther,
                           "response line longer than " + std::to_string(max_length));
    }
    buffer_.erase(0, buffer_pos_);
    buffer_pos_ = 0;
    char chunk[16 * 1024];
    size_t n = raw_read(chunk, sizeof chunk);
    if (n == 0)
      throw TransportError(TransportFailure::kReset,
                           "connection closed before the response was complete");
    buffer_.append(chunk, n);
  }
}

bool SocketConnection::idle_connection_dead() {
  if (buffer_pos_ < buffer_.size()) return true;  // bytes nobody asked for
  pollfd p{fd_, POLLIN, 0};
  int rc = ::poll(&p, 1, 0);
  // Readable while idle: EOF, a reset, or (TLS) a close_notify or session ticket. Peek to tell.
  if (rc <= 0) return rc < 0;
  if (p.revents & (POLLERR | POLLHUP)) return true;
  char c;
  ssize_t n = ::recv(fd_, &c, 1, MSG_PEEK);
  if (n <= 0) return true;
  if (!ssl_) return true;  // plain HTTP: a stray byte after a complete response
  // TLS 1.3 servers send session tickets after the handshake; let OpenSSL consume records.
  char data;
  ERR_clear_error();
  int got = SSL_read(ssl_, &data, 1);
  if (got > 0) return true;
  int err = SSL_get_error(ssl_, got);
  return err != SSL_ERROR_WANT_READ;
}

}  // namespace mlbox::net
