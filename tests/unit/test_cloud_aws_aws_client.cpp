#include <doctest/doctest.h>

#include "cloud/aws/aws_client.h"
#include "cloud/aws/ecr_client.h"
#include "net/redact_http.h"

using namespace mlbox::cloud::aws;
using mlbox::ErrorKind;

namespace {
mlbox::net::Outcome answer(long status, std::string body, mlbox::net::Headers headers = {}) {
  mlbox::net::Outcome o;
  o.response.status = status;
  o.response.body = std::move(body);
  o.response.headers = std::move(headers);
  return o;
}
mlbox::net::Request post(std::string url) {
  mlbox::net::Request r;
  r.method = "POST";
  r.url = std::move(url);
  return r;
}
const AwsCredentials kCreds{"AKID", "secret", "", "environment"};
}  // namespace

TEST_CASE("aws errors: codes from JSON, headers and XML") {
  CHECK(parse_aws_error(answer(400, R"({"__type":"com.amazonaws.ecr#RepositoryNotFoundException",
                                       "message":"repo x not found"})")
                            .response)
            .code == "RepositoryNotFoundException");
  auto e = parse_aws_error(
      answer(400, R"({"__type":"ThrottlingException","Message":"slow down"})").response);
  CHECK(e.code == "ThrottlingException");
  CHECK(e.message == "slow down");
  CHECK(parse_aws_error(answer(400, R"({"message":"m"})",
                               {{"x-amzn-errortype", "ClientException:http://internal/"}})
                            .response)
            .code == "ClientException");
  auto x = parse_aws_error(
      answer(403,
             "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>bad "
             "sig</Message></Error>")
          .response);
  CHECK(x.code == "SignatureDoesNotMatch");
  CHECK(x.message == "bad sig");
  CHECK(parse_aws_error(answer(500, "oops").response).code.empty());
}

TEST_CASE("aws errors: classification and message") {
  auto err =
      call_error(ecr_service(), "GetAuthorizationToken",
                 post("https://api.ecr.us-east-1.amazonaws.com/?X-Amz-Signature=abc"),
                 answer(400, R"({"__type":"ExpiredTokenException","message":"expired"})"), kCreds);
  CHECK(err.kind() == ErrorKind::kAuth);
  std::string m = err.what();
  CHECK(m.find("ECR GetAuthorizationToken") != std::string::npos);
  CHECK(m.find("HTTP 400 ExpiredTokenException: expired") != std::string::npos);
  CHECK(m.find("api.ecr.us-east-1.amazonaws.com") != std::string::npos);
  CHECK(m.find("abc") == std::string::npos);  // signed query parameters are redacted
  CHECK(err.hint().find("environment") != std::string::npos);

  for (const char* code : {"UnrecognizedClientException", "InvalidSignatureException",
                           "AccessDeniedException", "AccessDenied"}) {
    CHECK(is_auth_error_code(code));
  }
  CHECK(call_error(batch_service(), "SubmitJob", post("https://batch/v1/submitjob"),
                   answer(400, R"({"__type":"ClientException","message":"bad queue"})"), kCreds)
            .kind() == ErrorKind::kRemote);
  CHECK(call_error(batch_service(), "SubmitJob", post("https://batch/v1/submitjob"),
                   answer(403, ""), kCreds)
            .kind() == ErrorKind::kAuth);
  mlbox::net::Outcome reset;
  reset.failure = mlbox::net::TransportFailure::kConnect;
  reset.error = "Connection refused";
  auto net_err =
      call_error(logs_service(), "GetLogEvents", post("http://127.0.0.1:1/"), reset, kCreds);
  CHECK(net_err.kind() == ErrorKind::kNetwork);
  CHECK(std::string(net_err.hint()).find("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS") != std::string::npos);
  CHECK(is_throttling_error_code("ThrottlingException"));
  CHECK(is_throttling_error_code("TooManyRequestsException"));
  CHECK_FALSE(is_throttling_error_code("ClientException"));
}

TEST_CASE("aws: session tokens and ECR passwords never reach a trace") {
  CHECK(mlbox::net::redact_header_value("X-Amz-Security-Token", "FQoGZXIvYXdzE") == "REDACTED");
  CHECK(mlbox::net::redact_header_value("Authorization",
                                        "AWS4-HMAC-SHA256 Credential=AKID/x, Signature=abc")
            .find("abc") == std::string::npos);
  std::string body = mlbox::net::redact_body(
      R"({"authorizationData":[{"authorizationToken":"QVdTOnNlY3JldA==","expiresAt":1}]})");
  CHECK(body.find("QVdTOnNlY3JldA") == std::string::npos);
}

TEST_CASE("ecr: registry hosts") {
  auto h = parse_ecr_host("123456789012.dkr.ecr.eu-west-1.amazonaws.com");
  REQUIRE(h);
  CHECK(h->account == "123456789012");
  CHECK(h->region == "eu-west-1");
  CHECK(parse_ecr_host("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn:443"));
  CHECK(parse_ecr_host("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com"));
  CHECK_FALSE(parse_ecr_host("gcr.io"));
  CHECK_FALSE(parse_ecr_host("12345.dkr.ecr.us-east-1.amazonaws.com"));
  CHECK_FALSE(parse_ecr_host("123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.org"));
}

TEST_CASE("ecr: authorization data") {
  auto t = decode_authorization_data({{"authorizationToken", "QVdTOnMzY3IzdA=="},
                                      {"expiresAt", 1.7e9},
                                      {"proxyEndpoint", "https://x"}});
  CHECK(t.username == "AWS");
  CHECK(t.password == "s3cr3t");
  CHECK(std::chrono::duration_cast<std::chrono::seconds>(t.expires_at.time_since_epoch()).count() ==
        1700000000);
  auto unpadded = decode_authorization_data({{"authorizationToken", "QVdTOnBhc3N3b3Jk"}});
  CHECK(unpadded.password == "password");
  CHECK_THROWS_AS(decode_authorization_data({{"authorizationToken", "bm8tY29sb24="}}),
                  mlbox::Error);
  CHECK_THROWS_AS(decode_authorization_data(nlohmann::json::object()), mlbox::Error);
}
