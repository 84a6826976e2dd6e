// S3 as the jobs::ObjectStore that data staging and fetch use ("s3" scheme).
#pragma once

#include <memory>

#include "cloud/aws/s3_client.h"
#include "config/settings.h"
#include "core/events.h"
#include "jobs/object_store.h"

namespace mlbox::cloud::aws {

class S3ObjectStore : public jobs::ObjectStore {
 public:
  // `region` empty: the chain's. Endpoint: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (path
  // style) or the regional AWS endpoint.
  S3ObjectStore(config::EnvGetter env, const std::string& region, Observer& observer);
  ~S3ObjectStore() override;

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
  std::unique_ptr<net::HttpClient> http_;
  std::unique_ptr<S3Client> s3_;
};

std::unique_ptr<jobs::ObjectStore> make_s3_object_store(const config::Settings& settings,
                                                        Observer& observer);

}  // namespace mlbox::cloud::aws
