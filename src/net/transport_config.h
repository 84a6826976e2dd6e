// How transfers connect: TLS trust, which hosts may use plain HTTP or skip verification,
// timeouts and connection limits. Proxies come from the environment (both transports read
// http_proxy, https_proxy, all_proxy and no_proxy itself).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "util/host_names.h"

namespace mlbox::net {

struct TransportConfig {
  // CA bundle for TLS verification: --ca-cert, else $SSL_CERT_FILE, else the system's.
  std::string ca_file;
  // Hosts ("host" or "host:port") named with --insecure-registry: plain HTTP allowed and
  // TLS verification skipped. Loopback hosts may always use plain HTTP (never skip TLS).
  std::vector<std::string> insecure_hosts;
  long max_connections = 8;
  long max_connections_per_host = 8;
  std::chrono::seconds connect_timeout{30};
  // A transfer slower than 1 byte/s for this long is abandoned (and retried).
  std::chrono::seconds stall_timeout{60};
  std::string user_agent = "mlbox";
  // curl --connect-to rules, "HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT" (empty parts mean
  // any / unchanged): requests keep their URL, Host header and TLS name but connect
  // elsewhere. Read from $MLBOX_CONNECT_TO so tests can serve gcr.io or ECR on loopback.
  std::vector<std::string> connect_to = connect_to_from_env();

  // The CA file to use given --ca-cert (may be empty) and the environment.
  static std::string ca_file_from(const std::string& flag);
  // For cloud API clients (not registries): the environment's CA file, no insecure hosts,
  // user agent "mlbox/<version>".
  static TransportConfig for_cloud_api();
  // $MLBOX_CONNECT_TO split at commas and whitespace (empty when unset).
  static std::vector<std::string> connect_to_from_env();
};

// Splits a MLBOX_CONNECT_TO value into rules; throws Error(kUsage) for a rule that is not
// HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT.
std::vector<std::string> parse_connect_to(std::string_view value);

// An IPv4 literal in 127.0.0.0/8, the IPv6 literal ::1 (bare or in brackets), or exactly
// "localhost"; with or without ":port". Names that merely start with "127." (DNS names such
// as 127.0.0.1.nip.io) are not loopback.
using mlbox::is_loopback_host;  // util/host_names.h
// Whether `hosts` (insecure-registry entries, "host" or "host:port") lists this host[:port];
// a bare "host" entry covers every port.
bool host_listed(const std::vector<std::string>& hosts, std::string_view authority);
// The plain-HTTP rule: a URL may use http:// only for a loopback host or one listed in
// config.insecure_hosts. Applies to every request and to every redirect it follows.
bool plain_http_allowed(const TransportConfig& config, std::string_view authority);
// The host[:port] part of an absolute URL ("" when none).
std::string url_authority(std::string_view url);
std::string url_scheme(std::string_view url);

}  // namespace mlbox::net
