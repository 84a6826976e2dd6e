// Remembers which context files the secret scanner found clean, by path, size, mtime, ctime,
// inode and device, so that a rebuild after a code change reads only the files that changed
// (the scanner reads every byte of every file, archives included). Files with findings are
// never remembered: they are scanned, and refused or allowed, on every build. The cache is
// dropped when the scanner's rules (secret_rules_version) or mlbox's version change.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlbox::builder {

class SecretScanCache {
 public:
  explicit SecretScanCache(std::filesystem::path file);
  // The files among `files` (relative to `root`) that must be scanned.
  std::vector<std::string> unscanned(const std::filesystem::path& root,
                                     const std::vector<std::string>& files);
  // Records the scanned files that had no findings; writes the cache (atomically).
  void remember_clean(const std::vector<std::string>& clean);

 private:
  std::filesystem::path file_;
  nlohmann::json entries_ = nlohmann::json::object();
  std::map<std::string, std::string> keys_;  // stat key of each file seen by unscanned()
};

}  // namespace mlbox::builder
