#include "registry/blob_locations.h"

#include "util/fs.h"

namespace mlbox::registry {

namespace {
constexpr size_t kPerDigest = 8;
constexpr size_t kMaxDigests = 20000;
}  // namespace

BlobLocations::BlobLocations(std::filesystem::path file) : file_(std::move(file)) {
  std::string text;
  try {
    if (fs::read_file_if_exists(file_, text)) {
      auto j = nlohmann::json::parse(text, nullptr, false);
      if (j.is_object()) data_ = std::move(j);
    }
  } catch (const std::exception&) {
    // A broken cache is only a missed mount.
  }
}

std::filesystem::path BlobLocations::default_file() {
  return fs::mlbox_home() / "registry" / "blob-locations.json";
}

std::vector<std::string> BlobLocations::repositories(const std::string& digest,
                                                     const std::string& host,
                                                     const std::string& except) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  auto it = data_.find(digest);
  if (it == data_.end() || !it->is_array()) return out;
  std::string prefix = host + "/";
  for (const auto& v : *it) {
    if (!v.is_string()) continue;
    std::string s = v.get<std::string>();
    if (s.rfind(prefix, 0) != 0) continue;
    std::string repo = s.substr(prefix.size());
    if (repo != except) out.push_back(repo);
  }
  return out;
}

void BlobLocations::record(const std::string& digest, const std::string& host,
                           const std::string& repository) {
  std::lock_guard lock(mutex_);
  std::string where = host + "/" + repository;
  auto& list = data_[digest];
  if (!list.is_array()) list = nlohmann::json::array();
  nlohmann::json updated = nlohmann::json::array({where});
  for (const auto& v : list) {
    if (v != where && updated.size() < kPerDigest) updated.push_back(v);
  }
  list = std::move(updated);
  dirty_ = true;
}

void BlobLocations::save() const {
  std::lock_guard lock(mutex_);
  if (!dirty_ || data_.size() > kMaxDigests) return;
  try {
    std::filesystem::create_directories(file_.parent_path());
    fs::write_file_atomic(file_, data_.dump());
  } catch (const std::exception&) {
    // Not worth failing a push for.
  }
}

}  // namespace mlbox::registry
