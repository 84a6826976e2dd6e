#include "cloud/local/rootfs_cache.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <random>
#include <set>

#include "util/command_words.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/process.h"

namespace mlbox::cloud::local {

namespace stdfs = std::filesystem;

namespace {

// archive_error_string is null when libarchive has no text for the failure.
const char* error_text(struct archive* a) {
  const char* text = archive_error_string(a);
  return text ? text : "unreadable data";
}

constexpr const char* kWhiteoutPrefix = ".wh.";
constexpr const char* kOpaqueMarker = ".wh..wh..opq";

std::string errno_text(int err) {
  return std::strerror(err);
}

// Lexically normalises a tar entry name into components below the root; throws when `..`
// would climb above it.
std::vector<std::string> entry_components(const std::string& name, const std::string& digest) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= name.size()) {
    size_t j = name.find('/', i);
    if (j == std::string::npos) j = name.size();
    std::string part = name.substr(i, j - i);
    i = j + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (out.empty()) {
        throw Error(ErrorKind::kConfig,
                    "layer " + digest + ": entry '" + name + "' escapes the image root",
                    "the layer is malformed or malicious; rebuild it or pull it again");
      }
      out.pop_back();
      continue;
    }
    out.push_back(std::move(part));
  }
  return out;
}

std::string join_components(const std::vector<std::string>& parts) {
  std::string s;
  for (const auto& p : parts) {
    if (!s.empty()) s += '/';
    s += p;
  }
  return s;
}

// Resolves every component as a parent directory (following symlinks inside root).
stdfs::path resolve_parents(const stdfs::path& root, const std::vector<std::string>& parents) {
  std::deque<std::string> pending(parents.begin(), parents.end());
  std::vector<std::string> current;
  int hops = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.front());
    pending.pop_front();
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!current.empty()) current.pop_back();
      continue;
    }
    current.push_back(part);
    stdfs::path candidate = root / join_components(current);
    struct stat st {};
    if (::lstat(candidate.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) continue;
    if (++hops > 255) {
      throw Error(ErrorKind::kConfig, "too many levels of symbolic links resolving '" +
                                          join_components(parents) + "' in the image");
    }
    std::error_code ec;
    std::string target = stdfs::read_symlink(candidate, ec).string();
    if (ec) continue;
    current.pop_back();
    if (!target.empty() && target[0] == '/') current.clear();
    std::vector<std::string> parts;
    size_t i = 0;
    while (i <= target.size()) {
      size_t j = target.find('/', i);
      if (j == std::string::npos) j = target.size();
      parts.push_back(target.substr(i, j - i));
      i = j + 1;
    }
    pending.insert(pending.begin(), parts.begin(), parts.end());
  }
  return current.empty() ? root : root / join_components(current);
}

void remove_path(const stdfs::path& path) {
  std::error_code ec;
  stdfs::remove_all(path, ec);
  if (ec) {
    throw Error(ErrorKind::kInternal, "cannot remove " + path.string() + ": " + ec.message());
  }
}

// Opaque directory: drop what the lower layers put under `dir`, keep what this layer wrote.
void clear_lower_entries(const stdfs::path& dir, const std::set<std::string>& this_layer) {
  std::error_code ec;
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
  std::vector<stdfs::path> children;
  for (const auto& e : stdfs::directory_iterator(dir, ec)) children.push_back(e.path());
  for (const auto& child : children) {
    if (!this_layer.count(child.string())) {
      remove_path(child);
    } else if (::lstat(child.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      clear_lower_entries(child, this_layer);
    }
  }
}

// Feeds libarchive from a file descriptor, hashing every byte it hands over.
struct HashingReader {
  int fd = -1;
  Sha256 sha;
  uint64_t bytes = 0;
  std::vector<char> buffer = std::vector<char>(1 << 20);
  int read_errno = 0;

  static la_ssize_t read(struct archive*, void* self, const void** out) {
    auto* r = static_cast<HashingReader*>(self);
    for (;;) {
      ssize_t n = ::read(r->fd, r->buffer.data(), r->buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        r->read_errno = errno;
        return -1;
      }
      r->sha.update(r->buffer.data(), static_cast<size_t>(n));
      r->bytes += static_cast<uint64_t>(n);
      *out = r->buffer.data();
      return n;
    }
  }
  // Hashes what libarchive did not need (padding after the end-of-archive blocks).
  void drain() {
    for (;;) {
      ssize_t n = ::read(fd, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      sha.update(buffer.data(), static_cast<size_t>(n));
      bytes += static_cast<uint64_t>(n);
    }
  }
};

struct ArchiveReadCloser {
  struct archive* a;
  ~ArchiveReadCloser() { archive_read_free(a); }
};
struct ArchiveWriteCloser {
  struct archive* a;
  ~ArchiveWriteCloser() { archive_write_free(a); }
};
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

std::string random_suffix() {
  std::random_device rd;
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", rd());
  return buf;
}

}  // namespace

std::string chain_id(const std::vector<std::string>& diff_ids) {
  if (diff_ids.empty()) return {};
  std::string chain = diff_ids.front();
  for (size_t i = 1; i < diff_ids.size(); ++i) {
    chain = "sha256:" + sha256_hex(chain + " " + diff_ids[i]);
  }
  return chain;
}

stdfs::path secure_join(const stdfs::path& root, const std::string& relative) {
  std::vector<std::string> parts = entry_components(relative, "path");
  if (parts.empty()) return root;
  std::string last = parts.back();
  parts.pop_back();
  return resolve_parents(root, parts) / last;
}

LayerApplyStats apply_layer(const stdfs::path& blob, const image::Descriptor& descriptor,
                            const stdfs::path& root) {
  const std::string& digest = descriptor.digest;
  LayerApplyStats stats;
  HashingReader reader;
  reader.fd = ::open(blob.c_str(), O_RDONLY | O_CLOEXEC);
  if (reader.fd < 0) {
    throw Error(ErrorKind::kConfig,
                "layer " + digest + ": cannot open " + blob.string() + ": " + errno_text(errno),
                "the image store is incomplete; rebuild the image (mlbox build) or pull it again");
  }
  FdCloser fd_closer{reader.fd};

  ArchiveReadCloser in{archive_read_new()};
  archive_read_support_filter_all(in.a);
  archive_read_support_format_tar(in.a);
  archive_read_support_format_empty(in.a);
  ArchiveWriteCloser out{archive_write_disk_new()};
  archive_write_disk_set_options(out.a, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
                                            ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_UNLINK |
                                            ARCHIVE_EXTRACT_SECURE_NODOTDOT);
  archive_write_disk_set_standard_lookup(out.a);

  // A failure while reading may be caused by corrupt bytes: report the digest first.
  auto check_digest = [&] {
    reader.drain();
    std::string actual = "sha256:" + reader.sha.finish_hex();
    stats.compressed_bytes = reader.bytes;
    if (actual != digest) {
      throw Error(
          ErrorKind::kConfig,
          "layer " + digest + " does not match its digest (the blob hashes to " + actual + ")",
          "the blob at " + blob.string() +
              " is corrupt; remove it and rebuild (mlbox build) or pull the image again");
    }
    if (descriptor.size > 0 && reader.bytes != static_cast<uint64_t>(descriptor.size)) {
      throw Error(ErrorKind::kConfig, "layer " + digest + " is " + std::to_string(reader.bytes) +
                                          " bytes, its descriptor says " +
                                          std::to_string(descriptor.size));
    }
  };
  auto read_failure = [&](const std::string& what) {
    check_digest();
    throw Error(ErrorKind::kConfig, "layer " + digest + ": " + what);
  };

  if (archive_read_open(in.a, &reader, nullptr, &HashingReader::read, nullptr) != ARCHIVE_OK) {
    read_failure(std::string("cannot read: ") + error_text(in.a));
  }

  std::set<std::string> this_layer;  // absolute paths written by this layer, with ancestors
  auto remember = [&](const stdfs::path& p) {
    for (stdfs::path q = p; q != root && q.has_relative_path(); q = q.parent_path()) {
      if (!this_layer.insert(q.string()).second) break;
    }
  };

  struct archive_entry* entry = nullptr;
  for (;;) {
    int r = archive_read_next_header(in.a, &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) read_failure(error_text(in.a));
    ++stats.entries;
    const char* raw_name = archive_entry_pathname(entry);
    std::string name = raw_name ? raw_name : "";
    std::vector<std::string> parts = entry_components(name, digest);
    if (parts.empty()) continue;  // "./": the root itself keeps the cache's metadata
    std::string base = parts.back();
    parts.pop_back();
    stdfs::path parent = resolve_parents(root, parts);

    if (base.rfind(kWhiteoutPrefix, 0) == 0) {
      ++stats.whiteouts;
      if (base == kOpaqueMarker) {
        clear_lower_entries(parent, this_layer);
      } else {
        std::string hidden = base.substr(std::strlen(kWhiteoutPrefix));
        if (hidden.empty() || hidden == "." || hidden == "..") continue;
        stdfs::path victim = parent / hidden;
        struct stat st {};
        if (::lstat(victim.c_str(), &st) == 0) remove_path(victim);
      }
      continue;
    }

    stdfs::path target = parent / base;
    bool is_dir = archive_entry_filetype(entry) == AE_IFDIR;
    struct stat st {};
    if (::lstat(target.c_str(), &st) == 0) {
      bool existing_dir = S_ISDIR(st.st_mode);
      if (existing_dir != is_dir || (is_dir && S_ISLNK(st.st_mode))) remove_path(target);
    }
    archive_entry_set_pathname(entry, target.c_str());
    if (const char* link = archive_entry_hardlink(entry)) {
      stdfs::path link_target = secure_join(root, link);
      archive_entry_set_hardlink(entry, link_target.c_str());
    }
    remember(target);
    int w = archive_write_header(out.a, entry);
    if (w < ARCHIVE_WARN) {
      throw Error(
          ErrorKind::kInternal,
          "layer " + digest + ": cannot write " + target.string() + ": " + error_text(out.a),
          "check free space and permissions under " + root.parent_path().string());
    }
    if (archive_entry_size(entry) > 0 && w >= ARCHIVE_WARN) {
      const void* block = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      for (;;) {
        int d = archive_read_data_block(in.a, &block, &size, &offset);
        if (d == ARCHIVE_EOF) break;
        if (d < ARCHIVE_WARN) read_failure(error_text(in.a));
        // libarchive reports a failed write(2) (ENOSPC, EIO) as ARCHIVE_WARN.
        if (archive_write_data_block(out.a, block, size, offset) != ARCHIVE_OK) {
          throw Error(ErrorKind::kInternal,
                      "layer " + digest + ": cannot write " + target.string() + ": " +
                          error_text(out.a) + ": " + errno_text(archive_errno(out.a)),
                      "free space under " + root.parent_path().string() +
                          " (or point MLBOX_HOME at a larger disk) and run again");
        }
      }
    }
    int fin = archive_write_finish_entry(out.a);
    if (fin < ARCHIVE_WARN ||
        (fin == ARCHIVE_WARN && (archive_errno(out.a) == ENOSPC || archive_errno(out.a) == EIO))) {
      throw Error(ErrorKind::kInternal, "layer " + digest + ": cannot finish " + target.string() +
                                            ": " + error_text(out.a));
    }
  }
  if (archive_write_close(out.a) < ARCHIVE_WARN) {
    throw Error(ErrorKind::kInternal,
                "layer " + digest + ": cannot finish unpacking: " + error_text(out.a));
  }
  check_digest();
  return stats;
}

stdfs::path rootfs_cache_root() {
  return fs::mlbox_home() / "cache" / "rootfs";
}

RootfsCache::RootfsCache(stdfs::path root) : root_(std::move(root)) {
  std::error_code ec;
  stdfs::create_directories(root_ / ".tmp", ec);
  if (ec) {
    throw Error(ErrorKind::kInternal,
                "cannot create the rootfs cache " + root_.string() + ": " + ec.message(),
                "set MLBOX_HOME to a writable directory");
  }
  // Temp trees of unpackers that died: named <hex>-<pid>-<random>.
  for (const auto& e : stdfs::directory_iterator(root_ / ".tmp", ec)) {
    std::string name = e.path().filename().string();
    size_t a = name.find('-');
    size_t b = name.rfind('-');
    if (a == std::string::npos || b == a) continue;
    pid_t pid = static_cast<pid_t>(std::atol(name.substr(a + 1, b - a - 1).c_str()));
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) stdfs::remove_all(e.path(), ec);
  }
}

UnpackedRootfs RootfsCache::ensure(const image::OciLayout& layout,
                                   const image::ImageManifest& manifest,
                                   const image::ImageConfig& config, Observer& observer) {
  if (config.diff_ids.size() != manifest.layers.size()) {
    throw Error(ErrorKind::kConfig,
                "image config lists " + std::to_string(config.diff_ids.size()) +
                    " diff_ids but the manifest has " + std::to_string(manifest.layers.size()) +
                    " layers",
                "rebuild the image (mlbox build)");
  }
  const size_t n = manifest.layers.size();
  std::vector<std::string> chains;
  for (size_t i = 0; i < n; ++i) {
    chains.push_back(chain_id({config.diff_ids.begin(), config.diff_ids.begin() + i + 1}));
  }
  auto dir_for = [&](size_t count) -> stdfs::path {
    if (count == 0) return root_ / "empty";
    return root_ / image::digest_hex(chains[count - 1]);
  };

  UnpackedRootfs result;
  result.chain_id = n ? chains.back() : "";
  result.dir = dir_for(n);
  if (stdfs::is_directory(result.dir)) {
    result.cached = true;
    observer.debug("rootfs cached: " + result.dir.string());
    return result;
  }

  // Start from the longest cached prefix (an image extending a cached one).
  size_t start = 0;
  for (size_t k = n; k-- > 1;) {
    if (stdfs::is_directory(dir_for(k))) {
      start = k;
      break;
    }
  }
  std::string key = n ? image::digest_hex(result.chain_id) : "empty";
  stdfs::path temp =
      root_ / ".tmp" / (key + "-" + std::to_string(::getpid()) + "-" + random_suffix());
  try {
    if (start > 0) {
      observer.info("rootfs: starting from the cached tree of the first " +
                    count_of(start, "layer"));
      ProcessResult cp =
          run_process({"cp", "-a", "--reflink=auto", dir_for(start).string(), temp.string()});
      if (!cp.ok()) {
        throw Error(
            ErrorKind::kInternal,
            "cannot copy " + dir_for(start).string() + " to " + temp.string() + ": " + cp.err,
            "check free space under " + root_.string());
      }
    } else {
      stdfs::create_directories(temp);
      ::chmod(temp.c_str(), 0755);
    }
    for (size_t i = start; i < n; ++i) {
      const image::Descriptor& layer = manifest.layers[i];
      if (before_layer) before_layer(temp, i);
      ProgressEvent ev{layer.digest,
                       "unpack layer " + std::to_string(i + 1) + "/" + std::to_string(n), 0,
                       static_cast<uint64_t>(layer.size), "running"};
      observer.on_event(ev);
      apply_layer(layout.blob_path(layer.digest), layer, temp);
      ev.done = ev.total;
      ev.state = "done";
      observer.on_event(ev);
      ++result.layers_applied;
    }
    std::error_code ec;
    stdfs::rename(temp, result.dir, ec);
    if (ec) {
      // Another process finished the same chain first: use its tree.
      if (stdfs::is_directory(result.dir)) {
        stdfs::remove_all(temp, ec);
        result.cached = true;
      } else {
        throw Error(ErrorKind::kInternal, "cannot move " + temp.string() + " to " +
                                              result.dir.string() + ": " + ec.message());
      }
    }
  } catch (...) {
    std::error_code ec;
    stdfs::remove_all(temp, ec);
    throw;
  }
  return result;
}

}  // namespace mlbox::cloud::local
