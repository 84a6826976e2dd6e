// AWS answers: JSON/XML error bodies, Batch DescribeJobs details, ECR authorization data,
// STS <Credentials>, credential_process output, container and SSO credential replies, and
// the shared config/credentials INI files.
#include <nlohmann/json.hpp>

#include "cloud/aws/aws_client.h"
#include "cloud/aws/batch_requests.h"
#include "cloud/aws/container_credentials.h"
#include "cloud/aws/credential_process.h"
#include "cloud/aws/credentials.h"
#include "cloud/aws/ecr_client.h"
#include "cloud/aws/sso_credentials.h"
#include "cloud/aws/sts_requests.h"
#include "fuzz_support.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = mlbox::fuzz::as_text(data, size);
  mlbox::net::Response response;
  response.status = 400;
  response.body = std::string(text);
  response.headers = {{"x-amzn-errortype", "ThrottlingException:http://internal.amazon.com/"}};
  (void)mlbox::cloud::aws::parse_aws_error(response);
  (void)mlbox::cloud::aws::parse_aws_ini(text);
  std::string body(text);
  mlbox::cloud::aws::AwsHttpSend answer = [&](const mlbox::net::Request&,
                                              const mlbox::net::RetryPolicy&) {
    mlbox::net::Outcome o;
    o.response.status = 200;
    o.response.body = body;
    return o;
  };
  auto swallow = [](const auto& f) {
    try {
      f();
    } catch (const mlbox::Error&) {
    }
  };
  swallow([&] { (void)mlbox::cloud::aws::parse_sts_credentials(body, "fuzz"); });
  swallow([&] { (void)mlbox::cloud::aws::parse_credential_process_output(body, "fuzz"); });
  swallow([&] { (void)mlbox::cloud::aws::split_command_line(body, "fuzz"); });
  swallow([&] {
    (void)mlbox::cloud::aws::container_credentials(
        answer, mlbox::config::env_from_map(
                    {{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/fuzz"}}));
  });
  swallow([&] {
    mlbox::cloud::aws::SsoSettings sso{"s", "https://x", "us-east-1", "1", "r", "p"};
    (void)mlbox::cloud::aws::sso_role_credentials(answer, "https://portal", sso, "t");
  });
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return 0;
  try {
    (void)mlbox::cloud::aws::remote_status_from(j);
  } catch (const mlbox::Error&) {
  }
  try {
    (void)mlbox::cloud::aws::log_streams_of(j);
  } catch (const mlbox::Error&) {
  }
  try {
    (void)mlbox::cloud::aws::decode_authorization_data(j);
  } catch (const mlbox::Error&) {
  }
  return 0;
}
