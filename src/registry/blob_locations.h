// Where blobs were last seen on a registry ("host" -> repositories, per digest), so a push
// to a new repository can mount them instead of uploading. Kept in
// $MLBOX_HOME/registry/blob-locations.json; losing it only costs an upload.
#pragma once

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlbox::registry {

class BlobLocations {
 public:
  // Loads `file` when it exists (an unreadable file is ignored, not fatal).
  explicit BlobLocations(std::filesystem::path file);
  static std::filesystem::path default_file();

  // Repositories on `host` known to hold `digest`, most recent first, `except` left out.
  std::vector<std::string> repositories(const std::string& digest, const std::string& host,
                                        const std::string& except) const;
  void record(const std::string& digest, const std::string& host, const std::string& repository);
  // Writes the file atomically (merging nothing: last writer wins).
  void save() const;

 private:
  std::filesystem::path file_;
  mutable std::mutex mutex_;
  nlohmann::json data_ = nlohmann::json::object();
  bool dirty_ = false;
};

}  // namespace mlbox::registry
