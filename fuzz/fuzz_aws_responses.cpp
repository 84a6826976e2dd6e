// AWS answers: JSON/XML error bodies, Batch DescribeJobs details, ECR authorization data,
// and the shared config/credentials INI files.
#include <nlohmann/json.hpp>

#include "cloud/aws/aws_client.h"
#include "cloud/aws/batch_requests.h"
#include "cloud/aws/credentials.h"
#include "cloud/aws/ecr_client.h"
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
