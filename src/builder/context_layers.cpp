#include "builder/context_layers.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include "util/hash.h"

namespace mlbox::builder {

namespace {

struct Listed {
  std::string rel;
  struct stat st {};
  bool stat_ok = false;
};

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
  std::vector<TreeEntry> tree;
  listed.reserve(paths.size());
  tree.reserve(paths.size());
  for (const auto& rel : paths) {
    Listed f;
    f.rel = rel;
    f.stat_ok = ::lstat((project / rel).c_str(), &f.st) == 0;
    TreeEntry e;
    e.rel = rel;
    e.is_dir = f.stat_ok && S_ISDIR(f.st.st_mode);
    e.bytes = f.stat_ok && S_ISREG(f.st.st_mode) ? static_cast<uint64_t>(f.st.st_size) : 0;
    tree.push_back(std::move(e));
    listed.push_back(std::move(f));
  }
  Partition partition = partition_context(tree);

  auto make = [&](const std::string& role, const std::string& dir,
                  const std::vector<size_t>& entries) {
    ContextPart p;
    p.role = role;
    p.dir = dir;
    std::string key = role + ":" + dir;
    for (size_t i : entries) {
      p.paths.push_back(listed[i].rel);
      p.bytes += tree[i].bytes;
      add_stat(key, listed[i]);
    }
    p.stat_key = sha256_hex(key);
    return p;
  };
  std::vector<ContextPart> parts;
  for (const auto& layer : partition.stable) {
    parts.push_back(make("vendor", layer.path, layer.entries));
  }
  if (!partition.assets.empty()) parts.push_back(make("assets", "", partition.assets));
  parts.push_back(make("code", "", partition.code));
  return parts;
}

}  // namespace mlbox::builder
