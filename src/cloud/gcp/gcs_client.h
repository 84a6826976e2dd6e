// Cloud Storage through its JSON API: list, download (alt=media), upload (simple for small
// files, resumable in chunks for large ones). $STORAGE_EMULATOR_HOST redirects every call
// (as Google's client libraries do), e.g. to a local emulator or a test fake.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cloud/gcp/google_api.h"
#include "config/settings.h"

namespace mlbox::cloud::gcp {

struct GcsObject {
  std::string name;
  uint64_t size = 0;
  std::string md5_base64;  // md5Hash as the API gives it
};

// One object's metadata as the JSON API answers it (uint64 fields are decimal strings);
// `fallback_name` when it names none. Throws Error(kRemote) for a malformed answer.
GcsObject gcs_object_from_json(const nlohmann::json& item, const std::string& fallback_name);

class GcsClient {
 public:
  GcsClient(GoogleApi& api, const config::EnvGetter& env);
  // "https://storage.googleapis.com" or the emulator's "http://host:port".
  const std::string& base() const { return base_; }

  std::vector<GcsObject> list(const std::string& bucket, const std::string& prefix);
  // The object's metadata, or nullopt when it does not exist (HTTP 404).
  std::optional<GcsObject> stat(const std::string& bucket, const std::string& object);
  // A small object from memory (one media upload).
  void upload_bytes(const std::string& bytes, const std::string& bucket, const std::string& object,
                    const std::string& content_type);
  // Streams the object into `dest` (temp file + rename); returns bytes written. Verifies the
  // md5 when `expected_md5_base64` is given.
  uint64_t download(const std::string& bucket, const std::string& object,
                    const std::filesystem::path& dest, const std::string& expected_md5_base64 = {});
  // Uploads `file`: one request below `resumable_threshold`, else a resumable session sent
  // in `chunk_size` pieces (a multiple of 256 KiB).
  void upload(const std::filesystem::path& file, const std::string& bucket,
              const std::string& object, uint64_t resumable_threshold = 8u << 20,
              uint64_t chunk_size = 8u << 20);

 private:
  std::string object_url(const std::string& bucket, const std::string& object) const;
  GoogleApi& api_;
  std::string base_;
};

}  // namespace mlbox::cloud::gcp
