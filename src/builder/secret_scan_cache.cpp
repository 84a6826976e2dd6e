#include "builder/secret_scan_cache.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include "builder/secret_scanner.h"
#include "util/fs.h"
#include "util/hash.h"

#ifndef MLBOX_VERSION
#define MLBOX_VERSION "dev"
#endif

namespace mlbox::builder {

namespace {

std::string rules_version() {
  return sha256_hex(std::string(MLBOX_VERSION) + "\n" + secret_rules_version()).substr(0, 16);
}

}  // namespace

SecretScanCache::SecretScanCache(std::filesystem::path file) : file_(std::move(file)) {
  std::string text;
  if (!fs::read_file_if_exists(file_, text)) return;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object() && j.value("rules", "") == rules_version() && j.contains("clean") &&
      j["clean"].is_object()) {
    entries_ = j["clean"];
  }
}

std::vector<std::string> SecretScanCache::unscanned(const std::filesystem::path& root,
                                                    const std::vector<std::string>& files) {
  std::vector<std::string> out;
  for (const auto& rel : files) {
    struct stat st {};
    if (::lstat((root / rel).c_str(), &st) != 0) {
      out.push_back(rel);  // the scanner reports what is wrong with it
      continue;
    }
    // ctime too: a file rewritten in place at the same size with its mtime put back (touch
    // -d, rsync -t, tar x) still gets a new ctime, which no user can set.
    std::string key =
        fmt::format("{}:{}.{}:{}.{}:{}:{}", st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                    st.st_ctim.tv_sec, st.st_ctim.tv_nsec, st.st_ino, st.st_dev);
    keys_[rel] = key;
    auto it = entries_.find(rel);
    if (it == entries_.end() || !it->is_string() || it->get<std::string>() != key) {
      out.push_back(rel);
    }
  }
  return out;
}

void SecretScanCache::remember_clean(const std::vector<std::string>& clean) {
  if (clean.empty()) return;
  for (const auto& rel : clean) {
    if (auto it = keys_.find(rel); it != keys_.end()) entries_[rel] = it->second;
  }
  std::error_code ec;
  std::filesystem::create_directories(file_.parent_path(), ec);
  fs::write_file_atomic(
      file_, nlohmann::json{{"rules", rules_version()}, {"clean", entries_}}.dump() + "\n");
}

}  // namespace mlbox::builder
