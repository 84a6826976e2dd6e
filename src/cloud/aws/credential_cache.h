// Assumed-role credentials kept on disk between mlbox runs, as the AWS CLI keeps them in
// ~/.aws/cli/cache: one JSON file per role request ({"Credentials": {AccessKeyId,
// SecretAccessKey, SessionToken, Expiration}}), mode 0600 in a 0700 directory, named by the
// SHA-1 of what identifies the request. Entries within `margin` of expiring are ignored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "cloud/aws/sigv4.h"

namespace mlbox::cloud::aws {

class CredentialFileCache {
 public:
  // `dir` empty: nothing is read or written.
  explicit CredentialFileCache(std::filesystem::path dir) : dir_(std::move(dir)) {}

  std::optional<AwsCredentials> load(const std::string& key, int64_t now, int64_t margin) const;
  // Best effort: a failed write only loses the cache.
  void store(const std::string& key, const AwsCredentials& credentials) const;
  std::filesystem::path file_for(const std::string& key) const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

// Lowercase hex SHA-1 (file names of the AWS CLI's caches; not used for security).
std::string sha1_hex(std::string_view text);

}  // namespace mlbox::cloud::aws
