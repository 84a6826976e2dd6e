#include "net_socket/tls_trust.h"

#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "net_socket/transport_error.h"

namespace mlbox::net {

namespace {

constexpr const char* kSystemBundles[] = {
    "/etc/ssl/certs/ca-certificates.crt",                 // Debian, Ubuntu, Gentoo, Arch
    "/etc/pki/tls/certs/ca-bundle.crt",                   // Fedora, RHEL
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  // RHEL 7+
    "/etc/ssl/ca-bundle.pem",                             // openSUSE
    "/etc/ssl/cert.pem",                                  // Alpine, macOS
};

}  // namespace

TlsTrust::TlsTrust(const std::string& ca_file) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (!ctx_) {
    error_ = "SSL_CTX_new failed";
    return;
  }
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx_, kAlpn, sizeof kAlpn);
  SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (!ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != 1) {
      error_ = "cannot load the CA file " + ca_file;
      ERR_clear_error();
    }
    return;
  }
  SSL_CTX_set_default_verify_paths(ctx_);
  for (const char* bundle : kSystemBundles) {
    if (::access(bundle, R_OK) == 0 && SSL_CTX_load_verify_locations(ctx_, bundle, nullptr) == 1) {
      break;
    }
  }
  ERR_clear_error();
}

TlsTrust::~TlsTrust() {
  if (ctx_) SSL_CTX_free(ctx_);
}

SSL_CTX* TlsTrust::context() const {
  if (!error_.empty()) throw TransportError(TransportFailure::kTls, error_);
  return ctx_;
}

}  // namespace mlbox::net
