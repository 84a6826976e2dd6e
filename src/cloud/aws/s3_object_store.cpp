#include "cloud/aws/s3_object_store.h"

#include "cloud/aws/credential_chain.h"
#include "net/http_client.h"

namespace mlbox::cloud::aws {

namespace {

class S3Store : public jobs::ObjectStore {
 public:
  explicit S3Store(S3Client& s3) : s3_(s3) {}
  std::string scheme() const override { return "s3"; }
  std::optional<jobs::ObjectInfo> stat(const std::string& bucket, const std::string& key) override {
    auto o = s3_.stat(bucket, key);
    if (!o) return std::nullopt;
    return jobs::ObjectInfo{o->key, o->size, {}};
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
    for (const auto& o : s3_.list(bucket, prefix)) out.push_back({o.key, o.size, {}});
    return out;
  }

 private:
  S3Client& s3_;
};

// The resources first (initialised before the store that uses them).
struct S3Resources {
  S3Resources(config::EnvGetter env, const std::string& region, Observer& observer)
      : http(net::TransportConfig::for_cloud_api(), observer),
        chain(http, std::move(env)),
        s3(S3Client::from_chain(http, chain,
                                region.empty() ? chain.config().require_region() : region)) {}
  net::HttpClient http;
  AwsCredentialChain chain;
  S3Client s3;
};

class OwningS3Store : private S3Resources, public S3Store {
 public:
  OwningS3Store(config::EnvGetter env, const std::string& region, Observer& observer)
      : S3Resources(std::move(env), region, observer), S3Store(S3Resources::s3) {}
};

}  // namespace

std::unique_ptr<jobs::ObjectStore> s3_object_store(S3Client& s3) {
  return std::make_unique<S3Store>(s3);
}

std::unique_ptr<jobs::ObjectStore> make_s3_object_store(config::EnvGetter env,
                                                        const std::string& region,
                                                        Observer& observer) {
  return std::make_unique<OwningS3Store>(std::move(env), region, observer);
}

}  // namespace mlbox::cloud::aws
