#include <doctest/doctest.h>

#include "cloud/gcp/gcs_client.h"
#include "util/error.h"

using namespace mlbox;
using mlbox::cloud::gcp::gcs_object_from_json;

TEST_CASE("gcs: object metadata with uint64 sizes as strings") {
  auto o = gcs_object_from_json(
      nlohmann::json{{"name", "a/b"}, {"size", "18446744073709551615"}, {"md5Hash", "x=="}}, "");
  CHECK(o.name == "a/b");
  CHECK(o.size == UINT64_MAX);
  CHECK(o.md5_base64 == "x==");
  CHECK(gcs_object_from_json(nlohmann::json::object(), "fallback").name == "fallback");
  CHECK(gcs_object_from_json(nlohmann::json{{"size", 12}}, "n").size == 12);
}

TEST_CASE("gcs: malformed metadata is a clear remote error, not an exception from stoull") {
  for (const auto& j : {nlohmann::json{{"name", "a"}, {"size", "12x"}},
                        nlohmann::json{{"name", "a"}, {"size", "99999999999999999999"}},
                        nlohmann::json{{"name", "a"}, {"size", -12}}, nlohmann::json{{"name", 5}},
                        nlohmann::json::array()}) {
    CAPTURE(j.dump());
    CHECK_THROWS_AS(gcs_object_from_json(j, ""), Error);
  }
}
