// The TLS client context the socket transport shares across connections: TLS 1.2 or newer,
// ALPN http/1.1, and the trust store --ca-cert / $SSL_CERT_FILE name, else OpenSSL's default
// paths plus the first system CA bundle found (Debian/Ubuntu, RHEL/Fedora, Alpine/SUSE
// locations), so the same binary verifies servers inside any base image.
#pragma once

#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace mlbox::net {

class TlsTrust {
 public:
  explicit TlsTrust(const std::string& ca_file);
  ~TlsTrust();
  TlsTrust(const TlsTrust&) = delete;
  TlsTrust& operator=(const TlsTrust&) = delete;

  // The context, or throws TransportError(kTls) with why it could not be set up (a CA file
  // that does not load): the error surfaces on the first https request, as with libcurl.
  SSL_CTX* context() const;

 private:
  SSL_CTX* ctx_ = nullptr;
  std::string error_;
};

}  // namespace mlbox::net
