#include <doctest/doctest.h>

#include "net/redact_http.h"
#include "net/retry_policy.h"
#include "net/transport_config.h"

using namespace mlbox::net;
using std::chrono::milliseconds;

namespace {
Outcome status(long s, std::string retry_after = {}) {
  Outcome o;
  o.response.status = s;
  if (!retry_after.empty()) o.response.headers.emplace_back("retry-after", retry_after);
  return o;
}
Outcome failed(TransportFailure f) {
  Outcome o;
  o.failure = f;
  return o;
}
}  // namespace

TEST_CASE("retry policy: which outcomes are retried") {
  RetryPolicy p;
  CHECK(p.retryable(status(408)));
  CHECK(p.retryable(status(429)));
  CHECK(p.retryable(status(500)));
  CHECK(p.retryable(status(503)));
  CHECK_FALSE(p.retryable(status(501)));
  CHECK_FALSE(p.retryable(status(404)));
  CHECK_FALSE(p.retryable(status(401)));
  CHECK_FALSE(p.retryable(status(201)));
  CHECK(p.retryable(failed(TransportFailure::kReset)));
  CHECK(p.retryable(failed(TransportFailure::kTimeout)));
  CHECK(p.retryable(failed(TransportFailure::kConnect)));
  CHECK_FALSE(p.retryable(failed(TransportFailure::kTls)));
  CHECK_FALSE(p.retryable(failed(TransportFailure::kResolve)));
}

TEST_CASE("retry policy: exponential backoff with jitter, capped attempts") {
  RetryPolicy p;
  p.base_delay = milliseconds(100);
  p.max_delay = milliseconds(1000);
  p.jitter = 0.5;
  p.max_attempts = 4;
  CHECK(p.delay_before_retry(1, status(503), 0.0) == milliseconds(100));
  CHECK(p.delay_before_retry(2, status(503), 0.0) == milliseconds(200));
  CHECK(p.delay_before_retry(3, status(503), 0.0) == milliseconds(400));
  CHECK(p.delay_before_retry(2, status(503), 1.0) == milliseconds(100));  // full jitter: half
  CHECK_FALSE(p.delay_before_retry(4, status(503), 0.0));                 // attempts used up
  CHECK_FALSE(p.delay_before_retry(1, status(400), 0.0));
  p.max_attempts = 10;
  CHECK(p.delay_before_retry(8, status(503), 0.0) == milliseconds(1000));  // capped
  CHECK_FALSE(RetryPolicy::none().delay_before_retry(1, status(503), 0.0));
}

TEST_CASE("retry policy: Retry-After is honoured and capped") {
  RetryPolicy p;
  p.base_delay = milliseconds(100);
  p.max_retry_after = milliseconds(5000);
  CHECK(p.delay_before_retry(1, status(429, "2"), 0.0) == milliseconds(2000));
  CHECK(p.delay_before_retry(1, status(503, "3600"), 0.0) == milliseconds(5000));
  CHECK(parse_retry_after("7", 0) == milliseconds(7000));
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", 1445412480) == milliseconds(10000));
  CHECK_FALSE(parse_retry_after("soon", 0));
  // The three HTTP-date forms (RFC 9110 5.6.7) name the same instant.
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
  CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == 784111777);
  CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == 784111777);
  CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 PST"));
  CHECK_FALSE(parse_http_date("06 Nov 1994"));
}

TEST_CASE("redaction of headers and bodies") {
  CHECK(redact_header_value("Authorization", "Bearer eyJabc.def.ghi") == "Bearer REDACTED");
  CHECK(redact_header_value("authorization", "Basic dXNlcjpwYXNz") == "Basic REDACTED");
  CHECK(redact_header_value("X-Amz-Security-Token", "abc") == "REDACTED");
  CHECK(redact_header_value("Set-Cookie", "s=1") == "REDACTED");
  CHECK(redact_header_value("Content-Type", "application/json") == "application/json");
  CHECK(redact_header_value("Location", "https://s3/x?X-Amz-Signature=abc&a=1") ==
        "https://s3/x?X-Amz-Signature=REDACTED&a=1");
  std::string body = R"({"token":"eyJhbGciOi.x.y","access_token":"abc","expires_in":60})";
  std::string r = redact_body(body);
  CHECK(r.find("abc") == std::string::npos);
  CHECK(r.find("eyJhbGciOi") == std::string::npos);
  CHECK(r.find("expires_in") != std::string::npos);
  CHECK(redact_body(R"({"password": "hunter2"})").find("hunter2") == std::string::npos);
}

TEST_CASE("loopback hosts and URL parts") {
  CHECK(is_loopback_host("127.0.0.1:5000"));
  CHECK(is_loopback_host("localhost"));
  CHECK(is_loopback_host("[::1]:5000"));
  CHECK(is_loopback_host("127.1.2.3"));
  CHECK_FALSE(is_loopback_host("registry.example.com:5000"));
  CHECK_FALSE(is_loopback_host("128.0.0.1"));
  CHECK(url_authority("https://user:pw@Host:5000/v2/") == "host:5000");
  CHECK(url_scheme("HTTP://x/") == "http");
}
