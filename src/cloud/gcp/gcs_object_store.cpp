#include "cloud/gcp/gcs_object_store.h"

#include "cloud/gcp/adc.h"
#include "cloud/gcp/gcs_client.h"
#include "cloud/gcp/google_api.h"
#include "net/http_client.h"

namespace mlbox::cloud::gcp {

namespace {

class GcsObjectStore : public jobs::ObjectStore {
 public:
  GcsObjectStore(config::EnvGetter env, Observer& observer)
      : http_(net::TransportConfig::for_cloud_api(), observer),
        adc_(AdcCredentials::for_process(net::TransportConfig::for_cloud_api(), observer)),
        api_(http_, [this] { return adc_->access_token(); }),
        gcs_(api_, env) {}

  std::string scheme() const override { return "gs"; }
  std::optional<jobs::ObjectInfo> stat(const std::string& bucket, const std::string& key) override {
    auto o = gcs_.stat(bucket, key);
    if (!o) return std::nullopt;
    return jobs::ObjectInfo{o->name, o->size};
  }
  void put_file(const std::string& bucket, const std::string& key,
                const std::filesystem::path& file) override {
    gcs_.upload(file, bucket, key);
  }
  void put_bytes(const std::string& bucket, const std::string& key, const std::string& bytes,
                 const std::string& content_type) override {
    gcs_.upload_bytes(bytes, bucket, key, content_type);
  }
  void get_file(const std::string& bucket, const std::string& key,
                const std::filesystem::path& dest) override {
    gcs_.download(bucket, key, dest);
  }
  std::vector<jobs::ObjectInfo> list(const std::string& bucket,
                                     const std::string& prefix) override {
    std::vector<jobs::ObjectInfo> out;
    for (const auto& o : gcs_.list(bucket, prefix)) out.push_back({o.name, o.size});
    return out;
  }

 private:
  net::HttpClient http_;
  std::unique_ptr<AdcCredentials> adc_;
  GoogleApi api_;
  GcsClient gcs_;
};

}  // namespace

std::unique_ptr<jobs::ObjectStore> make_gcs_object_store(config::EnvGetter env,
                                                         Observer& observer) {
  return std::make_unique<GcsObjectStore>(std::move(env), observer);
}

}  // namespace mlbox::cloud::gcp
