// Cloud Storage as a jobs::ObjectStore (data staging, fetch, the trainer's syncs): ADC
// tokens, the JSON API, STORAGE_EMULATOR_HOST honoured. Listed objects are downloaded with
// their MD5 checked.
#pragma once

#include <memory>

#include "cloud/gcp/gcs_client.h"
#include "config/settings.h"
#include "core/events.h"
#include "jobs/object_store.h"

namespace mlbox::cloud::gcp {

// Over a client someone else owns (a backend's).
class GcsStore : public jobs::ObjectStore {
 public:
  explicit GcsStore(GcsClient& gcs) : gcs_(gcs) {}
  std::string scheme() const override { return "gs"; }
  std::optional<jobs::ObjectInfo> stat(const std::string& bucket, const std::string& key) override;
  void put_file(const std::string& bucket, const std::string& key,
                const std::filesystem::path& file) override;
  void put_bytes(const std::string& bucket, const std::string& key, const std::string& bytes,
                 const std::string& content_type) override;
  void get_file(const std::string& bucket, const std::string& key,
                const std::filesystem::path& dest) override;
  void get_listed(const std::string& bucket, const jobs::ObjectInfo& object,
                  const std::filesystem::path& dest) override;
  std::vector<jobs::ObjectInfo> list(const std::string& bucket, const std::string& prefix) override;

 private:
  GcsClient& gcs_;
};

// With its own HTTP client and the process's Application Default Credentials.
std::unique_ptr<jobs::ObjectStore> make_gcs_object_store(config::EnvGetter env, Observer& observer);

}  // namespace mlbox::cloud::gcp
