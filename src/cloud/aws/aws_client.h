// Signed calls to one AWS service over net::HttpClient: the JSON 1.1 protocol (ECR,
// CloudWatch Logs, Pricing, Service Quotas: POST / with X-Amz-Target), rest-json (Batch:
// POST /v1/<op>), the ec2/query protocol (EC2: form body, XML answer), plus
// raw signed requests (S3). AWS error bodies become mlbox errors that name the service,
// operation, URL (redacted), HTTP status and AWS error code; throttling is retried.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cloud/aws/credentials.h"
#include "cloud/aws/sigv4.h"
#include "net/http_client.h"
#include "util/error.h"

namespace mlbox::cloud::aws {

// An error AWS answered with; code() is the AWS error code ("RepositoryNotFoundException").
class AwsError : public Error {
 public:
  AwsError(ErrorKind kind, std::string message, std::string hint, std::string code, long status)
      : Error(kind, std::move(message), std::move(hint)), code_(std::move(code)), status_(status) {}
  const std::string& code() const { return code_; }
  long status() const { return status_; }

 private:
  std::string code_;
  long status_;
};

// The AWS error code and message of an error response (JSON `__type`/`code`/`message`,
// the x-amzn-ErrorType header, or S3's XML <Code>/<Message>); empty when none.
struct AwsErrorBody {
  std::string code;
  std::string message;
};
AwsErrorBody parse_aws_error(const net::Response& response);
bool is_auth_error_code(std::string_view code);
bool is_throttling_error_code(std::string_view code);

// Returns the credentials to sign the next request with.
using CredentialsSource = std::function<AwsCredentials()>;

struct AwsClientOptions {
  int max_throttle_retries = 4;
  std::chrono::milliseconds throttle_base_delay{400};
  // Injected for tests: sleeps between throttling retries.
  std::function<void(std::chrono::milliseconds)> sleep;
};

class AwsClient {
 public:
  // `endpoint`: base URL without a trailing slash (AwsConfigChain::endpoint()).
  AwsClient(net::HttpClient& http, const ServiceInfo& service, AwsCredentials credentials,
            std::string region, std::string endpoint, AwsClientOptions options = {});
  // With credentials asked for before each request (a chain that renews expiring ones).
  AwsClient(net::HttpClient& http, const ServiceInfo& service, CredentialsSource credentials,
            std::string region, std::string endpoint, AwsClientOptions options = {});

  // JSON 1.1: POST / with X-Amz-Target: <targetPrefix>.<operation>.
  nlohmann::json call_json(const std::string& operation, const nlohmann::json& input);
  // The ec2 / query protocol: POST / with a form body "Action=<op>&Version=<v>&<params>"
  // (names and values percent-encoded here, in the order given); returns the XML answer.
  std::string call_query(const std::string& operation, const std::string& api_version,
                         const std::vector<std::pair<std::string, std::string>>& params);
  // rest-json: `method` `path` (e.g. "POST", "/v1/submitjob") with a JSON body.
  nlohmann::json call_rest(const std::string& operation, const std::string& method,
                           const std::string& path, const nlohmann::json& input);
  // A signed request sent as is (path and query already encoded); AWS errors throw.
  // `signing` carries S3's choices (no path normalisation, content hash header).
  net::Response send(const std::string& operation, net::Request request,
                     const SigningOptions& signing, const net::RetryPolicy& policy = {});
  // As send(), but an HTTP error comes back instead of throwing (404 checks).
  net::Outcome send_raw(net::Request request, const SigningOptions& signing,
                        const net::RetryPolicy& policy = {});

  const std::string& endpoint() const { return endpoint_; }
  const std::string& region() const { return region_; }
  const ServiceInfo& service() const { return service_; }
  SigningOptions signing_options() const;

 private:
  net::Outcome attempt(net::Request request, const SigningOptions& signing,
                       const net::RetryPolicy& policy);

  net::HttpClient& http_;
  const ServiceInfo& service_;
  AwsCredentials credentials_;
  CredentialsSource credentials_source_;
  std::string region_;
  std::string endpoint_;
  AwsClientOptions options_;
};

// The error for a failed call: kNetwork for transport failures, kAuth for auth codes and
// 401/403, kRemote otherwise.
AwsError call_error(const ServiceInfo& service, const std::string& operation,
                    const net::Request& request, const net::Outcome& outcome,
                    const AwsCredentials& credentials);

}  // namespace mlbox::cloud::aws
