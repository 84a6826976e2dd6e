#include "builder/context_layers.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "util/hash.h"

namespace mlbox::builder {

namespace {

struct Listed {
  std::string rel;
  struct stat st {};
  bool stat_ok = false;
};

std::string top_dir(const std::string& rel) {
  auto slash = rel.find('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

void add_stat(std::string& key, const Listed& f) {
  // A directory enters a layer as its path with normalised metadata: its own mtime (touched
  // by any file created and removed in it) must not invalidate the layer.
  if (f.stat_ok && S_ISDIR(f.st.st_mode)) {
    key += fmt::format("\n{}|dir", f.rel);
    return;
  }
  // ctime too: tools can put an old mtime back (cp -p, touch -r, rsync -t), not a ctime.
  key += fmt::format("\n{}|{}:{}.{}:{}.{}:{}:{}:{}", f.rel, f.st.st_size, f.st.st_mtim.tv_sec,
                     f.st.st_mtim.tv_nsec, f.st.st_ctim.tv_sec, f.st.st_ctim.tv_nsec, f.st.st_ino,
                     f.st.st_dev, f.st.st_mode);
}

}  // namespace

std::vector<ContextPart> split_context(const std::filesystem::path& project,
                                       const std::vector<std::string>& paths) {
  std::vector<Listed> listed;
  listed.reserve(paths.size());
  for (const auto& rel : paths) {
    Listed f;
    f.rel = rel;
    f.stat_ok = ::lstat((project / rel).c_str(), &f.st) == 0;
    listed.push_back(std::move(f));
  }
  auto is_large = [](const Listed& f) {
    return f.stat_ok && S_ISREG(f.st.st_mode) &&
           static_cast<uint64_t>(f.st.st_size) >= kLargeFileBytes;
  };
  auto file_bytes = [](const Listed& f) {
    return f.stat_ok && S_ISREG(f.st.st_mode) ? static_cast<uint64_t>(f.st.st_size) : 0;
  };

  // Small-file bytes per top-level directory decide the vendor layers.
  std::map<std::string, uint64_t> small_bytes;
  for (const auto& f : listed) {
    std::string top = top_dir(f.rel);
    if (!top.empty() && !is_large(f)) small_bytes[top] += file_bytes(f);
  }
  std::vector<std::pair<std::string, uint64_t>> candidates;
  for (const auto& [dir, bytes] : small_bytes) {
    if (bytes >= kVendorDirBytes) candidates.emplace_back(dir, bytes);
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (candidates.size() > kMaxVendorLayers) candidates.resize(kMaxVendorLayers);
  std::map<std::string, ContextPart> vendor;  // by name: layer order
  for (const auto& [dir, bytes] : candidates) {
    ContextPart& p = vendor[dir];
    p.role = "vendor";
    p.dir = dir;
    p.stat_key = "vendor:" + dir;
  }

  ContextPart assets{"assets", "", {}, 0, "assets"};
  ContextPart code{"code", "", {}, 0, ""};
  for (const auto& f : listed) {
    ContextPart* part = &code;
    if (is_large(f)) {
      part = &assets;
    } else if (auto it = vendor.find(top_dir(f.rel)); it != vendor.end()) {
      part = &it->second;
    } else if (auto it2 = vendor.find(f.rel); it2 != vendor.end()) {
      part = &it2->second;  // the vendored directory itself
    }
    part->paths.push_back(f.rel);
    part->bytes += file_bytes(f);
    if (part != &code) add_stat(part->stat_key, f);
  }

  std::vector<ContextPart> parts;
  for (auto& [dir, p] : vendor) {
    p.stat_key = sha256_hex(p.stat_key);
    parts.push_back(std::move(p));
  }
  if (!assets.paths.empty()) {
    assets.stat_key = sha256_hex(assets.stat_key);
    parts.push_back(std::move(assets));
  }
  parts.push_back(std::move(code));
  return parts;
}

}  // namespace mlbox::builder
