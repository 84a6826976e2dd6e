// The libcurl-free transport: HTTP/1.1 over POSIX sockets and OpenSSL, for mlbox-trainer,
// whose bundle travels in every image (libcurl's Debian closure alone is ~13 MB). Same
// contract as the curl transport: TLS verified against the configured trust (skipped only
// for insecure-listed hosts), the plain-HTTP rule on every redirect, $MLBOX_CONNECT_TO
// rules, http:// proxies from the environment (CONNECT for https), keep-alive connections
// reused per host, bounded connect and stall timeouts. Requests run on the caller's thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "net/transport.h"
#include "net_socket/proxy_env.h"
#include "net_socket/tls_trust.h"

namespace mlbox::net {

class SocketConnection;
struct UrlParts;

class SocketTransport final : public Transport {
 public:
  explicit SocketTransport(TransportConfig config, EnvLookup env = process_env_lookup());
  ~SocketTransport() override;
  std::future<Outcome> submit(Request request) override;
  const TransportConfig& config() const override { return config_; }

 private:
  struct Route;
  Outcome perform(const Request& request);
  // One request to one URL (no redirects): fills outcome.response.
  void exchange(const UrlParts& url, const std::string& method, const Headers& headers,
                const Request& request, Outcome& outcome);
  Route route_for(const UrlParts& url) const;
  std::unique_ptr<SocketConnection> connect(const Route& route, const UrlParts& url);
  std::unique_ptr<SocketConnection> take_idle(const std::string& key);
  void put_idle(const std::string& key, std::unique_ptr<SocketConnection> conn);

  TransportConfig config_;
  EnvLookup env_;
  TlsTrust trust_;
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::unique_ptr<SocketConnection>>> idle_;
};

}  // namespace mlbox::net
