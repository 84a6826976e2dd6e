#include "cloud/gcp/gcs_object_store.h"

#include "cloud/gcp/adc.h"
#include "cloud/gcp/gcs_client.h"

namespace mlbox::cloud::gcp {

namespace {

class GcsObjectStore : public jobs::ObjectStore {
 public:
  explicit GcsObjectStore(Observer& observer)
      : http_(transport(), observer),
        adc_(AdcCredentials::for_process(transport(), observer)),
        api_(http_, [this] { return adc_->access_token(); }),
        gcs_(api_, config::process_env()) {}

  std::string scheme() const override { return "gs"; }
  std::optional<jobs::ObjectInfo> stat(const std::string& bucket, const std::string& key) override {
    auto o = gcs_.stat(bucket, key);
    if (!o) return std::nullopt;
    return jobs::ObjectInfo{key, o->size};
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
    auto o = gcs_.stat(bucket, key);
    gcs_.download(bucket, key, dest, o ? o->md5_base64 : std::string());
  }
  std::vector<jobs::ObjectInfo> list(const std::string& bucket,
                                     const std::string& prefix) override {
    std::vector<jobs::ObjectInfo> out;
    for (const auto& o : gcs_.list(bucket, prefix)) out.push_back({o.name, o.size});
    return out;
  }

 private:
  static net::TransportConfig transport() {
    net::TransportConfig t;
    t.ca_file = net::TransportConfig::ca_file_from("");
    t.user_agent = std::string("mlbox/") + MLBOX_VERSION;
    return t;
  }
  net::HttpClient http_;
  std::unique_ptr<AdcCredentials> adc_;
  GoogleApi api_;
  GcsClient gcs_;
};

}  // namespace

std::unique_ptr<jobs::ObjectStore> make_gcs_object_store(const config::Settings& settings,
                                                         Observer& observer) {
  (void)settings;
  return std::make_unique<GcsObjectStore>(observer);
}

}  // namespace mlbox::cloud::gcp
