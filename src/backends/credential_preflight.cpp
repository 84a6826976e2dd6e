#include "backends/credential_preflight.h"

#include "cloud/aws/credential_chain.h"
#include "cloud/aws/credentials.h"
#include "cloud/gcp/adc.h"
#include "jobs/spec_builder.h"
#include "manifest/image_ref.h"
#include "net/http_client.h"
#include "util/strings.h"

namespace mlbox::backends {

namespace {

std::string cloud_of_registry(const std::string& repository) {
  std::string why;
  auto ref = manifest::parse_registry_reference(repository, &why);
  if (!ref) return "";
  std::string host = to_lower(ref->registry);
  if (auto colon = host.find(':'); colon != std::string::npos) host.resize(colon);
  if (host.find(".dkr.ecr.") != std::string::npos && ends_with(host, ".amazonaws.com")) {
    return "aws";
  }
  if (ends_with(host, "-docker.pkg.dev") || host == "gcr.io" || ends_with(host, ".gcr.io")) {
    return "gcp";
  }
  return "";
}

}  // namespace

std::set<std::string> clouds_touched(const std::string& target, const std::string& repository,
                                     const std::vector<std::string>& uris) {
  std::set<std::string> clouds;
  if (target == "vertex" || target == "batch") clouds.insert(jobs::cloud_of_target(target));
  if (auto c = cloud_of_registry(repository); !c.empty()) clouds.insert(c);
  for (const auto& uri : uris) {
    if (starts_with(uri, "s3://")) clouds.insert("aws");
    if (starts_with(uri, "gs://")) clouds.insert("gcp");
  }
  return clouds;
}

std::vector<jobs::JobProblem> credential_problems(const std::set<std::string>& clouds,
                                                  Observer& observer) {
  std::vector<jobs::JobProblem> problems;
  if (clouds.count("aws")) {
    // The chain every AWS client uses (its in-process cache serves the push and submit that
    // follow); a source that needs a call (web identity, assume role, IMDS) makes it here,
    // before anything is built or pushed.
    net::HttpClient http(net::TransportConfig::for_cloud_api(), observer);
    cloud::aws::AwsCredentialChain chain(http, config::process_env());
    try {
      chain.credentials();
    } catch (const Error& e) {
      problems.push_back({e.what(), e.hint(), e.kind()});
    }
  }
  if (clouds.count("gcp")) {
    auto adc =
        cloud::gcp::AdcCredentials::for_process(net::TransportConfig::for_cloud_api(), observer);
    if (!adc->available()) {
      problems.push_back({"no Google Application Default Credentials: " + adc->not_found_reason(),
                          cloud::gcp::kAdcHint, ErrorKind::kAuth});
    }
  }
  return problems;
}

}  // namespace mlbox::backends
