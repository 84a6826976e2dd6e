#include "cloud/aws/s3_object_store.h"

#include "cloud/aws/container_credentials.h"
#include "net/http_client.h"

namespace mlbox::cloud::aws {

namespace {

class S3ObjectStore : public jobs::ObjectStore {
 public:
  S3ObjectStore(config::EnvGetter env, const std::string& region, Observer& observer)
      : chain_(env),
        http_(net::TransportConfig::for_cloud_api(), observer),
        credentials_(credentials_for(chain_, http_, env)),
        s3_(S3Client::from_chain(http_, chain_, region.empty() ? chain_.require_region() : region,
                                 {}, &credentials_)) {}

  std::string scheme() const override { return "s3"; }
  std::optional<jobs::ObjectInfo> stat(const std::string& bucket, const std::string& key) override {
    auto o = s3_.stat(bucket, key);
    if (!o) return std::nullopt;
    return jobs::ObjectInfo{o->key, o->size};
  }
  void put_file(const std::string& bucket, const std::string& key,
                const std::filesystem::path& file) override {
    s3_.put_file(bucket, key, file);
  }
  void put_bytes(const std::string& bucket, const std::string& key, const std::string& bytes,
                 const std::string& content_type) override {
    s3_.put_bytes(bucket, key, bytes, content_type);
  }
  void get_file(const std::string& bucket, const std::string& key,
                const std::filesystem::path& dest) override {
    s3_.get_file(bucket, key, dest);
  }
  std::vector<jobs::ObjectInfo> list(const std::string& bucket,
                                     const std::string& prefix) override {
    std::vector<jobs::ObjectInfo> out;
    for (const auto& o : s3_.list(bucket, prefix)) out.push_back({o.key, o.size});
    return out;
  }

 private:
  // The chain's credentials, else (inside a Batch/ECS container) the task role's.
  static AwsCredentials credentials_for(const AwsConfigChain& chain, net::HttpClient& http,
                                        const config::EnvGetter& env) {
    if (auto c = chain.find_credentials()) return *c;
    if (auto c = container_credentials(http, env)) return *c;
    return chain.credentials();  // throws, saying what to set
  }

  AwsConfigChain chain_;
  net::HttpClient http_;
  AwsCredentials credentials_;
  S3Client s3_;
};

}  // namespace

std::unique_ptr<jobs::ObjectStore> make_s3_object_store(config::EnvGetter env,
                                                        const std::string& region,
                                                        Observer& observer) {
  return std::make_unique<S3ObjectStore>(std::move(env), region, observer);
}

}  // namespace mlbox::cloud::aws
