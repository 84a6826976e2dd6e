#include <doctest/doctest.h>

#include "util/redact.h"

TEST_CASE("redact_url drops user-info and signed query parameters") {
  using mlbox::redact_url;
  CHECK(redact_url("https://u:p@host.example/path?a=1") == "https://host.example/path?a=1");
  CHECK(redact_url("https://h/o?X-Amz-Signature=abc&x=1&X-Amz-Security-Token=t") ==
        "https://h/o?X-Amz-Signature=REDACTED&x=1&X-Amz-Security-Token=REDACTED");
  CHECK(redact_url("http://127.0.0.1:5000/v2/") == "http://127.0.0.1:5000/v2/");
  CHECK(redact_url("https://h/p?access_token=ya29#frag") ==
        "https://h/p?access_token=REDACTED#frag");
}
