// S3 as a jobs::ObjectStore (data staging, fetch, the trainer's syncs).
#pragma once

#include <memory>

#include "cloud/aws/credentials.h"
#include "cloud/aws/s3_client.h"
#include "core/events.h"
#include "jobs/object_store.h"

namespace mlbox::cloud::aws {

// Over a client someone else owns (a backend's).
class S3Store : public jobs::ObjectStore {
 public:
  explicit S3Store(S3Client& s3) : s3_(s3) {}
  std::string scheme() const override { return "s3"; }
  std::optional<jobs::ObjectInfo> stat(const std::string& bucket, const std::string& key) override;
  void put_file(const std::string& bucket, const std::string& key,
                const std::filesystem::path& file) override;
  void put_bytes(const std::string& bucket, const std::string& key, const std::string& bytes,
                 const std::string& content_type) override;
  void get_file(const std::string& bucket, const std::string& key,
                const std::filesystem::path& dest) override;
  std::vector<jobs::ObjectInfo> list(const std::string& bucket, const std::string& prefix) override;

 private:
  S3Client& s3_;
};

// With its own HTTP client; credentials from the chain, else (inside a Batch/ECS container)
// the task role's. `region` empty: the chain's; the endpoint honours AWS_ENDPOINT_URL_S3 /
// AWS_ENDPOINT_URL.
std::unique_ptr<jobs::ObjectStore> make_s3_object_store(config::EnvGetter env,
                                                        const std::string& region,
                                                        Observer& observer);

}  // namespace mlbox::cloud::aws
