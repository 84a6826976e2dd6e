#include <doctest/doctest.h>

#include "util/hash.h"
#include "util/strings.h"

using namespace mlbox;

TEST_CASE("did_you_mean finds near keys and ignores far ones") {
  std::vector<std::string> keys = {"python", "framework", "resources", "targets"};
  CHECK(did_you_mean("pyhton", keys).value() == "python");
  CHECK(did_you_mean("resource", keys).value() == "resources");
  CHECK_FALSE(did_you_mean("zzzzzzzz", keys).has_value());
}

TEST_CASE("sha256 matches the FIPS 180-2 vector") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
