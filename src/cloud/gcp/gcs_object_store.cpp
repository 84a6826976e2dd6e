#include "cloud/gcp/gcs_object_store.h"

#include "cloud/gcp/adc.h"
#include "cloud/gcp/google_api.h"
#include "net/http_client.h"

namespace mlbox::cloud::gcp {

namespace {

class GcsStore : public jobs::ObjectStore {
 public:
  explicit GcsStore(GcsClient& gcs) : gcs_(gcs) {}
  std::string scheme() const override { return "gs"; }
  std::optional<jobs::ObjectInfo> stat(const std::string& bucket, const std::string& key) override {
    auto o = gcs_.stat(bucket, key);
    if (!o) return std::nullopt;
    return jobs::ObjectInfo{o->name, o->size, o->md5_base64};
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
  void get_listed(const std::string& bucket, const jobs::ObjectInfo& object,
                  const std::filesystem::path& dest) override {
    gcs_.download(bucket, object.key, dest, object.md5_base64);
  }
  std::vector<jobs::ObjectInfo> list(const std::string& bucket,
                                     const std::string& prefix) override {
    std::vector<jobs::ObjectInfo> out;
    for (const auto& o : gcs_.list(bucket, prefix)) out.push_back({o.name, o.size, o.md5_base64});
    return out;
  }

 private:
  GcsClient& gcs_;
};

// The resources first (initialised before the store that uses them).
struct GcsResources {
  GcsResources(config::EnvGetter env, Observer& observer)
      : http(net::TransportConfig::for_cloud_api(), observer),
        adc(AdcCredentials::for_process(net::TransportConfig::for_cloud_api(), observer)),
        api(
            http, [this] { return adc->access_token(); }, [this] { return adc->quota_project(); }),
        gcs(api, env) {}
  net::HttpClient http;
  std::unique_ptr<AdcCredentials> adc;
  GoogleApi api;
  GcsClient gcs;
};

class OwningGcsStore : private GcsResources, public GcsStore {
 public:
  OwningGcsStore(config::EnvGetter env, Observer& observer)
      : GcsResources(std::move(env), observer), GcsStore(GcsResources::gcs) {}
};

}  // namespace

std::unique_ptr<jobs::ObjectStore> gcs_object_store(GcsClient& gcs) {
  return std::make_unique<GcsStore>(gcs);
}

std::unique_ptr<jobs::ObjectStore> make_gcs_object_store(config::EnvGetter env,
                                                         Observer& observer) {
  return std::make_unique<OwningGcsStore>(std::move(env), observer);
}

}  // namespace mlbox::cloud::gcp
