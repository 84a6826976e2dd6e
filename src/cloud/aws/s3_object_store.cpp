#include "cloud/aws/s3_object_store.h"

namespace mlbox::cloud::aws {

S3ObjectStore::S3ObjectStore(config::EnvGetter env, const std::string& region, Observer& observer)
    : http_(std::make_unique<net::HttpClient>(net::TransportConfig{}, observer)) {
  AwsConfigChain chain(std::move(env));
  std::string r = region.empty() ? chain.require_region() : region;
  s3_ = std::make_unique<S3Client>(S3Client::from_chain(*http_, chain, r));
}

S3ObjectStore::~S3ObjectStore() = default;

std::optional<jobs::ObjectInfo> S3ObjectStore::stat(const std::string& bucket,
                                                    const std::string& key) {
  auto o = s3_->stat(bucket, key);
  if (!o) return std::nullopt;
  return jobs::ObjectInfo{o->key, o->size};
}

void S3ObjectStore::put_file(const std::string& bucket, const std::string& key,
                             const std::filesystem::path& file) {
  s3_->put_file(bucket, key, file);
}

void S3ObjectStore::put_bytes(const std::string& bucket, const std::string& key,
                              const std::string& bytes, const std::string& content_type) {
  s3_->put_bytes(bucket, key, bytes, content_type);
}

void S3ObjectStore::get_file(const std::string& bucket, const std::string& key,
                             const std::filesystem::path& dest) {
  s3_->get_file(bucket, key, dest);
}

std::vector<jobs::ObjectInfo> S3ObjectStore::list(const std::string& bucket,
                                                  const std::string& prefix) {
  std::vector<jobs::ObjectInfo> out;
  for (const auto& o : s3_->list(bucket, prefix)) out.push_back({o.key, o.size});
  return out;
}

std::unique_ptr<jobs::ObjectStore> make_s3_object_store(const config::Settings& settings,
                                                        Observer& observer) {
  std::string region;
  try {
    region = settings.get("region");
  } catch (const Error&) {
  }
  return std::make_unique<S3ObjectStore>(config::process_env(), region, observer);
}

}  // namespace mlbox::cloud::aws
