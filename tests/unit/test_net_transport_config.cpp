#include <doctest/doctest.h>

#include <cstdlib>

#include "net/transport_config.h"

TEST_CASE("MLBOX_CONNECT_TO: curl --connect-to routes, separated by commas or spaces") {
  ::setenv("MLBOX_CONNECT_TO", "a.example:443:127.0.0.1:5000, b.example::127.0.0.1:6000", 1);
  auto routes = mlbox::net::TransportConfig::connect_to_from_env();
  CHECK(routes ==
        std::vector<std::string>{"a.example:443:127.0.0.1:5000", "b.example::127.0.0.1:6000"});
  CHECK(mlbox::net::TransportConfig{}.connect_to == routes);
  ::unsetenv("MLBOX_CONNECT_TO");
  CHECK(mlbox::net::TransportConfig::connect_to_from_env().empty());
}
