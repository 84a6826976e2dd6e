#include <doctest/doctest.h>

#include "util/encoding.h"

using namespace mlbox;

TEST_CASE("base64 and base64url round trips; the decoder's tolerance and refusals") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("alice:s3cr:et") == "YWxpY2U6czNjcjpldA==");
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK(base64_decode("YWxpY2U6czNjcjpldA==") == std::optional<std::string>("alice:s3cr:et"));
  CHECK(base64_decode("YWxpY2U6czNjcjpldA") == std::optional<std::string>("alice:s3cr:et"));
  CHECK(base64_decode("YWxp\nY2U6\r\nczNjcjpldA==") == std::optional<std::string>("alice:s3cr:et"));
  CHECK_FALSE(base64_decode("YW*x").has_value());
  CHECK_FALSE(base64_decode("YWxpY").has_value());  // a lone trailing symbol
  CHECK_FALSE(base64_decode("YQ==YQ==").has_value());
}

TEST_CASE("percent_encode keeps RFC 3986 unreserved characters (and '/' when asked)") {
  CHECK(percent_encode("a-b_c.d~e") == "a-b_c.d~e");
  CHECK(percent_encode("a b/c+d=é") == "a%20b%2Fc%2Bd%3D%C3%A9");
  CHECK(percent_encode("models/v1 final", true) == "models/v1%20final");
}
