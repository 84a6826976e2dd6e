#include "cloud/aws/container_credentials.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/error.h"

namespace mlbox::cloud::aws {

std::optional<AwsCredentials> container_credentials(net::HttpClient& http,
                                                    const config::EnvGetter& env) {
  std::string url;
  if (auto rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); rel && !rel->empty()) {
    url = "http://169.254.170.2" + *rel;
  } else if (auto full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI"); full && !full->empty()) {
    url = *full;
  } else {
    return std::nullopt;
  }
  net::Request req;
  req.method = "GET";
  req.url = url;
  req.headers.push_back({"Accept", "application/json"});
  if (auto token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN"); token && !token->empty()) {
    req.headers.push_back({"Authorization", *token});
  }
  net::Outcome out = http.send(req);
  if (!out.ok() || out.response.status != 200) {
    throw Error(ErrorKind::kAuth,
                fmt::format("container credentials from {}: {}", url, net::describe(out)),
                "the job role of the task must allow this; check the job definition's jobRoleArn");
  }
  auto j = nlohmann::json::parse(out.response.body, nullptr, false);
  if (!j.is_object() || !j.contains("AccessKeyId") || !j.contains("SecretAccessKey")) {
    throw Error(ErrorKind::kAuth, "container credentials from " + url + ": unexpected reply");
  }
  return AwsCredentials{j["AccessKeyId"].get<std::string>(),
                        j["SecretAccessKey"].get<std::string>(), j.value("Token", ""),
                        "container credentials (" + url + ")"};
}

}  // namespace mlbox::cloud::aws
