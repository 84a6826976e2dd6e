#include "image/layer_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>

#include "image/image_config.h"
#include "image/oci_layout.h"
#include "image/tar_writer.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/strings.h"

namespace mlbox::image {

namespace stdfs = std::filesystem;

uint32_t normalised_mode(LayerEntry::Type type, uint32_t source_mode) {
  switch (type) {
    case LayerEntry::Type::kDirectory:
      return 0755;
    case LayerEntry::Type::kSymlink:
      return 0777;
    case LayerEntry::Type::kFile:
    case LayerEntry::Type::kHardlink:
      return (source_mode & 0111) ? 0755 : 0644;
  }
  return 0644;
}

namespace {

std::string join_image_path(const std::string& prefix, const std::string& rel) {
  std::string p = prefix;
  while (!p.empty() && p.front() == '/') p.erase(0, 1);
  while (!p.empty() && p.back() == '/') p.pop_back();
  if (p.empty()) return rel;
  if (rel.empty()) return p;
  return p + "/" + rel;
}

void check_image_path(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') {
    throw Error(ErrorKind::kConfig, fmt::format("invalid path in image: '{}'", path),
                "image paths are relative, without leading or trailing '/'");
  }
  for (const auto& part : split(path, '/')) {
    if (part.empty() || part == "." || part == "..") {
      throw Error(ErrorKind::kConfig, fmt::format("invalid path in image: '{}'", path),
                  "image paths may not hold empty, '.' or '..' components");
    }
  }
}

struct Collector {
  stdfs::path root;
  std::string prefix;
  std::map<std::pair<dev_t, ino_t>, std::string> first_link;  // inode -> first image path
  std::vector<LayerEntry> out;

  void add(const std::string& rel) {
    stdfs::path src = rel.empty() ? root : root / rel;
    struct stat st {};
    if (::lstat(src.c_str(), &st) != 0) {
      throw Error(ErrorKind::kConfig,
                  fmt::format("{}: cannot read: {}", src.string(), std::strerror(errno)));
    }
    LayerEntry e;
    e.path = join_image_path(prefix, rel);
    if (S_ISDIR(st.st_mode)) {
      e.type = LayerEntry::Type::kDirectory;
      if (e.path.empty()) return;  // the layer root itself
    } else if (S_ISLNK(st.st_mode)) {
      e.type = LayerEntry::Type::kSymlink;
      std::error_code ec;
      e.link_target = stdfs::read_symlink(src, ec).string();
      if (ec) {
        throw Error(ErrorKind::kConfig,
                    fmt::format("{}: cannot read link: {}", src.string(), ec.message()));
      }
    } else if (S_ISREG(st.st_mode)) {
      e.type = LayerEntry::Type::kFile;
      e.source = src;
      e.mode = normalised_mode(e.type, st.st_mode);
      if (st.st_nlink > 1) {
        auto key = std::make_pair(st.st_dev, st.st_ino);
        auto it = first_link.find(key);
        if (it != first_link.end()) {
          e.type = LayerEntry::Type::kHardlink;
          e.link_target = it->second;
          e.source.clear();
        } else {
          first_link.emplace(key, e.path);
        }
      }
    } else {
      throw Error(ErrorKind::kConfig,
                  fmt::format("{}: is a socket, device or fifo; an image layer cannot hold it",
                              src.string()),
                  "exclude it from the build context (context.exclude or .mlboxignore)");
    }
    out.push_back(std::move(e));
  }
};

}  // namespace

std::vector<LayerEntry> entries_from_paths(const stdfs::path& root,
                                           const std::vector<std::string>& relative_paths,
                                           const std::string& image_prefix) {
  std::vector<std::string> sorted = relative_paths;
  std::sort(sorted.begin(), sorted.end());
  Collector c{root, image_prefix, {}, {}};
  for (const auto& rel : sorted) c.add(rel);
  return std::move(c.out);
}

std::vector<LayerEntry> entries_from_directory(const stdfs::path& root,
                                               const std::string& image_prefix) {
  std::vector<std::string> rels;
  std::error_code ec;
  stdfs::recursive_directory_iterator it(root, stdfs::directory_options::none, ec);
  if (ec) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{}: cannot list: {}", root.string(), ec.message()));
  }
  for (; it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    rels.push_back(it->path().lexically_relative(root).generic_string());
  }
  if (ec) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{}: cannot list: {}", root.string(), ec.message()));
  }
  return entries_from_paths(root, rels, image_prefix);
}

std::vector<LayerEntry> normalise_entries(std::vector<LayerEntry> entries) {
  for (auto& e : entries) {
    while (!e.path.empty() && e.path.front() == '/') e.path.erase(0, 1);
    while (!e.path.empty() && e.path.back() == '/') e.path.pop_back();
    check_image_path(e.path);
  }
  // Add missing parents.
  std::set<std::string> present;
  for (const auto& e : entries) present.insert(e.path);
  std::vector<LayerEntry> parents;
  for (const auto& e : entries) {
    std::string p = e.path;
    for (auto slash = p.rfind('/'); slash != std::string::npos; slash = p.rfind('/')) {
      p.resize(slash);
      if (!present.insert(p).second) break;
      LayerEntry d;
      d.type = LayerEntry::Type::kDirectory;
      d.path = p;
      parents.push_back(std::move(d));
    }
  }
  entries.insert(entries.end(), std::make_move_iterator(parents.begin()),
                 std::make_move_iterator(parents.end()));
  // Byte order of the path puts every parent before its children ("a" < "a/...").
  std::sort(entries.begin(), entries.end(),
            [](const LayerEntry& a, const LayerEntry& b) { return a.path < b.path; });
  std::set<std::string> seen;
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (i > 0 && entries[i - 1].path == e.path) {
      throw Error(ErrorKind::kConfig, fmt::format("path '{}' is added to the layer twice", e.path));
    }
    if (e.type == LayerEntry::Type::kHardlink && !seen.count(e.link_target)) {
      throw Error(ErrorKind::kConfig,
                  fmt::format("hard link '{}' points to '{}', which is not earlier in the layer",
                              e.path, e.link_target));
    }
    seen.insert(e.path);
  }
  return entries;
}

LayerWriter::LayerWriter(OciLayout& store, LayerOptions options, Observer* observer)
    : store_(store), options_(std::move(options)), observer_(observer) {}

namespace {

class FileReader {
 public:
  explicit FileReader(const stdfs::path& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      throw Error(ErrorKind::kConfig,
                  fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd_);
      throw Error(ErrorKind::kConfig, fmt::format("{}: not a regular file", path.string()));
    }
    size_ = static_cast<uint64_t>(st.st_size);
    mode_ = st.st_mode;
  }
  ~FileReader() { ::close(fd_); }
  uint64_t size() const { return size_; }
  uint32_t mode() const { return mode_; }
  size_t read(char* buf, size_t n) {
    for (;;) {
      ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno != EINTR) {
        throw Error(ErrorKind::kConfig,
                    fmt::format("{}: read failed: {}", path_.string(), std::strerror(errno)));
      }
    }
  }

 private:
  stdfs::path path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  uint32_t mode_ = 0;
};

}  // namespace

LayerResult LayerWriter::write_tar(std::vector<LayerEntry> entries, const ByteSink& sink) {
  entries = normalise_entries(std::move(entries));
  int64_t mtime = options_.mtime ? *options_.mtime : source_date_epoch();
  LayerResult result;
  Sha256 tar_sha;
  TarWriter tar([&](const void* data, size_t size) {
    tar_sha.update(data, size);
    sink(data, size);
  });
  // The bytes to read, so progress can show a rate and an ETA.
  uint64_t total = 0;
  if (observer_) {
    for (const auto& e : entries) {
      std::error_code ec;
      if (e.type == LayerEntry::Type::kFile) total += stdfs::file_size(e.source, ec);
    }
  }
  std::vector<char> buf(1 << 20);
  for (const auto& e : entries) {
    switch (e.type) {
      case LayerEntry::Type::kDirectory:
        tar.add_directory(e.path, e.mode.value_or(0755), mtime);
        break;
      case LayerEntry::Type::kSymlink:
        tar.add_symlink(e.path, e.link_target, mtime);
        break;
      case LayerEntry::Type::kHardlink:
        tar.add_hardlink(e.path, e.link_target, mtime);
        break;
      case LayerEntry::Type::kFile: {
        FileReader in(e.source);
        uint32_t mode = e.mode.value_or(normalised_mode(e.type, in.mode()));
        tar.begin_file(e.path, mode, in.size(), mtime);
        uint64_t left = in.size();
        while (left > 0) {
          size_t n = in.read(buf.data(), static_cast<size_t>(std::min<uint64_t>(left, buf.size())));
          if (n == 0) {
            throw Error(
                ErrorKind::kConfig,
                fmt::format("{}: file shrank while the layer was written", e.source.string()),
                "do not modify the build context during a build");
          }
          tar.write_data(buf.data(), n);
          left -= n;
          result.bytes_read += n;
          if (observer_) {  // per MiB read: large files show progress too (the CLI throttles)
            observer_->on_event(
                ProgressEvent{options_.label, options_.label, result.bytes_read, total, "running"});
          }
        }
        tar.end_file();
        ++result.files;
        break;
      }
    }
    ++result.entries;
    result.paths.emplace_back(e.path, e.type == LayerEntry::Type::kSymlink ? e.link_target : "");
  }
  tar.finish();
  result.tar_size = tar.bytes_written();
  result.diff_id = "sha256:" + tar_sha.finish_hex();
  return result;
}

LayerResult LayerWriter::write(std::vector<LayerEntry> entries) {
  auto blob = store_.begin_blob();
  auto compressor = make_compressor(
      options_.compression, [&](const void* data, size_t size) { blob->write(data, size); });
  LayerResult result = write_tar(
      std::move(entries), [&](const void* data, size_t size) { compressor->write(data, size); });
  compressor->finish();
  result.descriptor = blob->commit(layer_media_type(options_.compression.compression));
  if (observer_) {
    observer_->on_event(ProgressEvent{options_.label, options_.label, result.bytes_read,
                                      result.bytes_read, "done"});
  }
  return result;
}

}  // namespace mlbox::image
