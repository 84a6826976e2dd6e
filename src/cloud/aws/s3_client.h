// Amazon S3 objects over SigV4 (x-amz-content-sha256 signed, paths not normalised): stat,
// put (multipart above a threshold), get (to a file, atomically), ListObjectsV2.
// Path-style URLs when the endpoint is overridden (AWS_ENDPOINT_URL_S3: MinIO, s3rver),
// virtual-hosted URLs on AWS.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cloud/aws/aws_client.h"
#include "cloud/aws/credential_chain.h"

namespace mlbox::cloud::aws {

struct S3Object {
  std::string key;
  uint64_t size = 0;
  std::string etag;
};

struct S3Options {
  uint64_t multipart_threshold = 64ull << 20;  // files at least this big go in parts
  uint64_t part_size = 16ull << 20;            // S3's minimum is 5 MiB (but the last part)
  bool path_style = false;
};

class S3Client {
 public:
  // `endpoint`: "https://s3.<region>.amazonaws.com" or an override (then path-style).
  S3Client(net::HttpClient& http, AwsCredentials credentials, std::string region,
           std::string endpoint, S3Options options);
  S3Client(net::HttpClient& http, CredentialsSource credentials, std::string region,
           std::string endpoint, S3Options options);
  // From the chain: credentials (asked for before each request, so long transfers outlive
  // expiring role credentials), endpoint (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL).
  static S3Client from_chain(net::HttpClient& http, AwsCredentialChain& chain,
                             const std::string& region, S3Options options = {});

  std::optional<S3Object> stat(const std::string& bucket, const std::string& key);
  void put_file(const std::string& bucket, const std::string& key,
                const std::filesystem::path& file);
  void put_bytes(const std::string& bucket, const std::string& key, const std::string& bytes,
                 const std::string& content_type);
  void get_file(const std::string& bucket, const std::string& key,
                const std::filesystem::path& dest);
  std::vector<S3Object> list(const std::string& bucket, const std::string& prefix);

  // Parts uploaded by the last put_file (0 for a single PUT), for tests.
  int last_parts() const { return last_parts_; }
  std::string object_url(const std::string& bucket, const std::string& key,
                         const std::string& query = {}) const;

 private:
  void put_multipart(const std::string& bucket, const std::string& key,
                     const std::filesystem::path& file, uint64_t size);
  SigningOptions signing() const;

  AwsClient client_;
  S3Options options_;
  std::string region_;
  std::string endpoint_;
  int last_parts_ = 0;
};

// Text between <name> and </name> for every occurrence, XML entities decoded. Throws
// Error(kRemote) for a malformed entity or character reference.
std::vector<std::string> xml_elements(std::string_view xml, std::string_view name);

// One page of a ListObjectsV2 answer: its objects, and the continuation token when the
// listing is truncated (empty on the last page). Throws Error(kRemote) for a malformed page.
struct S3ListPage {
  std::vector<S3Object> objects;
  std::string next_token;
};
S3ListPage parse_list_objects_page(std::string_view xml);

}  // namespace mlbox::cloud::aws
