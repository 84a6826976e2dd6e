#include <doctest/doctest.h>

#include <cstdlib>

#include "net/transport_config.h"

using namespace mlbox::net;

TEST_CASE("MLBOX_CONNECT_TO: curl --connect-to routes, separated by commas or spaces") {
  ::setenv("MLBOX_CONNECT_TO", "a.example:443:127.0.0.1:5000, b.example::127.0.0.1:6000", 1);
  auto routes = mlbox::net::TransportConfig::connect_to_from_env();
  CHECK(routes ==
        std::vector<std::string>{"a.example:443:127.0.0.1:5000", "b.example::127.0.0.1:6000"});
  CHECK(mlbox::net::TransportConfig{}.connect_to == routes);
  ::unsetenv("MLBOX_CONNECT_TO");
  CHECK(mlbox::net::TransportConfig::connect_to_from_env().empty());
}

TEST_CASE("loopback: IP literals in 127/8, ::1 and exactly localhost") {
  for (const char* host : {"127.0.0.1", "127.0.0.1:5000", "127.255.3.4:80", "localhost",
                           "LOCALHOST:5000", "::1", "[::1]", "[::1]:5000"}) {
    CAPTURE(host);
    CHECK(is_loopback_host(host));
  }
  // Names that only look like loopback resolve wherever their owner says.
  for (const char* host :
       {"127.0.0.1.nip.io", "127.0.0.1.nip.io:80", "127.evil.example", "127.", "127.1",
        "localhost.evil.example", "localhost.", "mylocalhost", "128.0.0.1", "0.0.0.0", "[::2]",
        "::ffff:127.0.0.1x", "", "127.0.0.1 ", "127.0.0.01"}) {
    CAPTURE(host);
    CHECK_FALSE(is_loopback_host(host));
  }
}

TEST_CASE("plain HTTP: loopback, or a host named with --insecure-registry") {
  TransportConfig config;
  config.connect_to.clear();
  config.insecure_hosts = {"reg.internal", "other.internal:5000"};
  CHECK(plain_http_allowed(config, "127.0.0.1:5000"));
  CHECK(plain_http_allowed(config, "reg.internal"));
  CHECK(plain_http_allowed(config, "reg.internal:8080"));
  CHECK(plain_http_allowed(config, "other.internal:5000"));
  CHECK_FALSE(plain_http_allowed(config, "other.internal:5001"));
  CHECK_FALSE(plain_http_allowed(config, "reg.internal.evil.example"));
  CHECK_FALSE(plain_http_allowed(config, "127.0.0.1.nip.io"));
}
