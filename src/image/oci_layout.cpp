#include "image/oci_layout.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "util/error.h"
#include "util/fault_point.h"
#include "util/fs.h"
#include "util/strings.h"

namespace mlbox::image {

namespace stdfs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kLayoutFile = "oci-layout";
constexpr const char* kIndexFile = "index.json";
constexpr const char* kTempDir = ".tmp";
constexpr const char* kBlobTempPrefix = "blob-";

[[noreturn]] void fail_io(const stdfs::path& path, const char* what) {
  int err = errno;
  std::string hint;
  if (err == ENOSPC || err == EDQUOT) {
    hint =
        "free space on that disk and run the command again: nothing half-written was kept, "
        "and what was complete is reused";
  }
  throw Error(ErrorKind::kInternal,
              fmt::format("{}: {}: {}", path.string(), what, std::strerror(err)), hint);
}

}  // namespace

// ---- BlobWriter ----

BlobWriter::BlobWriter(stdfs::path temp_path, stdfs::path blobs_dir, int fd)
    : temp_path_(std::move(temp_path)), blobs_dir_(std::move(blobs_dir)), fd_(fd) {}

BlobWriter::~BlobWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!done_) ::unlink(temp_path_.c_str());
}

namespace {
constexpr size_t kDirectChunk = 4 << 20;
constexpr size_t kDirectAlign = 4096;
}  // namespace

void BlobWriter::write(const void* data, size_t size) {
  if (done_) throw Error(ErrorKind::kInternal, "blob write after commit");
  sha_.update(data, size);
  const char* p = static_cast<const char*>(data);
  size_ += size;
  if (direct_failed_) {
    write_out(p, size);
  } else {
    while (size > 0) {
      if (!staged_buf_) {
        void* mem = nullptr;
        if (::posix_memalign(&mem, kDirectAlign, kDirectChunk) != 0) throw std::bad_alloc();
        staged_buf_.reset(static_cast<char*>(mem));
      }
      size_t n = std::min(size, kDirectChunk - staged_);
      std::memcpy(staged_buf_.get() + staged_, p, n);
      staged_ += n;
      p += n;
      size -= n;
      if (staged_ == kDirectChunk) flush_staged(false);
    }
  }
  fault::reached("blob-write", size_);
}

void BlobWriter::flush_staged(bool final) {
  if (staged_ == 0) return;
  if (!final && !direct_failed_) {
    // A full, aligned chunk at an aligned offset: straight to the disk.
    int flags = ::fcntl(fd_, F_GETFL);
    if (flags >= 0 && ((flags & O_DIRECT) || ::fcntl(fd_, F_SETFL, flags | O_DIRECT) == 0)) {
      ssize_t n = ::pwrite(fd_, staged_buf_.get(), staged_, static_cast<off_t>(written_));
      while (n < 0 && errno == EINTR) {
        n = ::pwrite(fd_, staged_buf_.get(), staged_, static_cast<off_t>(written_));
      }
      if (n == static_cast<ssize_t>(staged_)) {
        written_ += staged_;
        writeback_from_ = written_;
        staged_ = 0;
        return;
      }
      if (n < 0 && errno != EINVAL) fail_io(temp_path_, "write failed");
      if (n > 0) written_ += static_cast<uint64_t>(n);  // short: the rest goes buffered
      std::memmove(staged_buf_.get(), staged_buf_.get() + (n > 0 ? n : 0),
                   staged_ - static_cast<size_t>(n > 0 ? n : 0));
      staged_ -= static_cast<size_t>(n > 0 ? n : 0);
    }
    direct_failed_ = true;  // this file system refuses O_DIRECT: buffered from here on
  }
  int flags = ::fcntl(fd_, F_GETFL);
  if (flags >= 0 && (flags & O_DIRECT)) ::fcntl(fd_, F_SETFL, flags & ~O_DIRECT);
  size_t n = staged_;
  staged_ = 0;
  write_out(staged_buf_.get(), n);
}

void BlobWriter::write_out(const char* p, size_t left) {
  while (left > 0) {
    ssize_t n = ::pwrite(fd_, p, left, static_cast<off_t>(written_));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_io(temp_path_, "write failed");
    }
    p += n;
    left -= static_cast<size_t>(n);
    written_ += static_cast<uint64_t>(n);
  }
  // Start writeback of each 8 MiB as it fills, so the fsync in install() waits for the tail
  // only rather than for the whole blob (a large layer's fsync was ~15% of a build).
  constexpr uint64_t kWritebackStep = 8 << 20;
  if (written_ - writeback_from_ >= kWritebackStep) {
    ::sync_file_range(fd_, static_cast<off_t>(writeback_from_),
                      static_cast<off_t>(written_ - writeback_from_), SYNC_FILE_RANGE_WRITE);
    writeback_from_ = written_;
  }
}

Descriptor BlobWriter::commit(std::string_view media_type) {
  if (done_) throw Error(ErrorKind::kInternal, "blob committed twice");
  return install(media_type, "sha256:" + sha_.finish_hex());
}

Descriptor BlobWriter::commit_expecting(std::string_view media_type,
                                        std::string_view expected_digest) {
  if (done_) throw Error(ErrorKind::kInternal, "blob committed twice");
  std::string actual = "sha256:" + sha_.finish_hex();
  if (actual != expected_digest) {
    throw Error(ErrorKind::kRemote,
                fmt::format("content digest mismatch: expected {}, got {} ({} bytes)",
                            expected_digest, actual, size_));
  }
  return install(media_type, actual);
}

Descriptor BlobWriter::install(std::string_view media_type, const std::string& digest) {
  Descriptor d;
  d.media_type = std::string(media_type);
  d.digest = digest;
  d.size = static_cast<int64_t>(size_);
  stdfs::path final_path = blobs_dir_ / digest_hex(d.digest);
  flush_staged(true);
  staged_buf_.reset();
  if (::fsync(fd_) != 0) fail_io(temp_path_, "fsync failed");
  ::fchmod(fd_, 0644);
  ::close(fd_);
  fd_ = -1;
  std::error_code ec;
  if (stdfs::exists(final_path, ec)) {
    // Same name, same content: keep the existing file.
    ::unlink(temp_path_.c_str());
  } else if (::rename(temp_path_.c_str(), final_path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp_path_.c_str());
    errno = err;
    fail_io(final_path, "cannot rename blob into place");
  }
  done_ = true;
  return d;
}

// ---- OciLayout ----

OciLayout::OciLayout(stdfs::path root, Mode mode) : root_(std::move(root)), mode_(mode) {
  std::error_code ec;
  if (mode_ == Mode::kReadOnly) {
    std::string layout;
    if (!fs::read_file_if_exists(root_ / kLayoutFile, layout) ||
        !stdfs::exists(root_ / kIndexFile, ec)) {
      throw Error(ErrorKind::kConfig,
                  fmt::format("{}: not an OCI image layout (oci-layout or index.json missing)",
                              root_.string()),
                  "create one with `skopeo copy docker://IMAGE oci:DIR:TAG`");
    }
    json j = parse_json_document(layout, (root_ / kLayoutFile).string());
    if (!j.is_object() || !j.contains("imageLayoutVersion")) {
      throw Error(ErrorKind::kConfig, fmt::format("{}: not an OCI layout (no imageLayoutVersion)",
                                                  (root_ / kLayoutFile).string()));
    }
    return;
  }
  stdfs::create_directories(root_ / "blobs" / "sha256", ec);
  if (ec) {
    throw Error(ErrorKind::kInternal,
                fmt::format("{}: cannot create the OCI layout: {}", root_.string(), ec.message()));
  }
  stdfs::create_directories(root_ / kTempDir, ec);
  {
    fs::FileLock lock(root_ / kTempDir / "index.lock");
    std::string layout;
    if (fs::read_file_if_exists(root_ / kLayoutFile, layout)) {
      json j = parse_json_document(layout, (root_ / kLayoutFile).string());
      if (!j.is_object() || !j.contains("imageLayoutVersion")) {
        throw Error(ErrorKind::kConfig,
                    fmt::format("{}: not an OCI layout (no imageLayoutVersion)",
                                (root_ / kLayoutFile).string()),
                    "remove the directory or point mlbox at another one");
      }
    } else {
      fs::write_file_atomic(root_ / kLayoutFile, R"({"imageLayoutVersion":"1.0.0"})");
    }
    if (!stdfs::exists(root_ / kIndexFile, ec)) {
      fs::write_file_atomic(root_ / kIndexFile, canonical_json(to_json(ImageIndex{})));
    }
  }
  clean_temp_files();
}

stdfs::path OciLayout::blob_path(std::string_view digest) const {
  std::string algorithm(digest.substr(0, digest.find(':')));
  return root_ / "blobs" / algorithm / digest_hex(digest);
}

bool OciLayout::has_blob(std::string_view digest) const {
  if (!is_valid_digest(digest)) return false;
  std::error_code ec;
  return stdfs::is_regular_file(blob_path(digest), ec);
}

std::string OciLayout::read_blob(std::string_view digest) const {
  stdfs::path path = blob_path(digest);
  std::string data;
  if (!fs::read_file_if_exists(path, data)) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{}: blob {} is missing from the store", root_.string(), digest),
                "rebuild the image (mlbox build) or pull it again");
  }
  if (starts_with(digest, "sha256:") && oci_digest(data) != digest) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{}: blob {} is corrupt (content hashes to {})", path.string(), digest,
                            oci_digest(data)),
                "delete the file; the next build or pull writes it again");
  }
  return data;
}

std::string OciLayout::read_blob(const Descriptor& d) const {
  std::string data = read_blob(d.digest);
  if (static_cast<int64_t>(data.size()) != d.size) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: blob {} has {} bytes, its descriptor says {}",
                                                root_.string(), d.digest, data.size(), d.size));
  }
  return data;
}

void OciLayout::require_writable() const {
  if (mode_ == Mode::kReadOnly) {
    throw Error(ErrorKind::kInternal,
                fmt::format("{}: opened read-only; cannot write", root_.string()));
  }
}

std::unique_ptr<BlobWriter> OciLayout::begin_blob() {
  require_writable();
  std::string tmpl = (root_ / kTempDir / (std::string(kBlobTempPrefix) + "XXXXXX")).string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) fail_io(root_ / kTempDir, "cannot create a temp blob");
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  // The lock tells clean_temp_files() that a live writer owns the file.
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    fail_io(tmpl, "cannot lock temp blob");
  }
  return std::unique_ptr<BlobWriter>(new BlobWriter(tmpl, root_ / "blobs" / "sha256", fd));
}

Descriptor OciLayout::put_blob(std::string_view media_type, std::string_view bytes) {
  std::string digest = oci_digest(bytes);
  if (has_blob(digest)) {
    Descriptor d;
    d.media_type = std::string(media_type);
    d.digest = digest;
    d.size = static_cast<int64_t>(bytes.size());
    return d;
  }
  auto w = begin_blob();
  w->write(bytes.data(), bytes.size());
  return w->commit(media_type);
}

Descriptor OciLayout::put_json(std::string_view media_type, const json& value) {
  return put_blob(media_type, canonical_json(value));
}

Descriptor OciLayout::write_image(const ImageConfig& config, const std::vector<Descriptor>& layers,
                                  const std::map<std::string, std::string>& annotations) {
  if (config.diff_ids.size() != layers.size()) {
    throw Error(ErrorKind::kInternal,
                fmt::format("image has {} layers but its config lists {} diff_ids", layers.size(),
                            config.diff_ids.size()));
  }
  ImageManifest m;
  m.config = put_json(media_type::kImageConfig, to_json(config));
  m.layers = layers;
  m.annotations = annotations;
  Descriptor d = put_json(media_type::kImageManifest, to_json(m));
  Platform p = config.platform;
  if (!p.os.empty() && !p.architecture.empty()) d.platform = p;
  return d;
}

ImageIndex OciLayout::read_index() const {
  stdfs::path path = root_ / kIndexFile;
  return parse_index(fs::read_file(path), path.string());
}

void OciLayout::tag(std::string_view tag, const Descriptor& manifest) {
  if (tag.empty()) throw Error(ErrorKind::kUsage, "empty image tag");
  require_writable();
  fs::FileLock lock(root_ / kTempDir / "index.lock");
  ImageIndex index = read_index();
  std::vector<Descriptor> kept;
  for (auto& d : index.manifests) {
    auto it = d.annotations.find(annotation::kRefName);
    if (it != d.annotations.end() && it->second == tag) continue;
    kept.push_back(std::move(d));
  }
  Descriptor tagged = manifest;
  tagged.annotations[annotation::kRefName] = std::string(tag);
  kept.push_back(std::move(tagged));
  index.manifests = std::move(kept);
  fs::write_file_atomic(root_ / kIndexFile, canonical_json(to_json(index)));
}

std::optional<Descriptor> OciLayout::resolve(std::string_view tag) const {
  for (const auto& d : read_index().manifests) {
    auto it = d.annotations.find(annotation::kRefName);
    if (it != d.annotations.end() && it->second == tag) return d;
  }
  return std::nullopt;
}

std::vector<std::string> OciLayout::tags() const {
  std::vector<std::string> out;
  for (const auto& d : read_index().manifests) {
    auto it = d.annotations.find(annotation::kRefName);
    if (it != d.annotations.end()) out.push_back(it->second);
  }
  return out;
}

ImageManifest OciLayout::read_manifest(const Descriptor& d) const {
  return parse_manifest(read_blob(d), fmt::format("{}@{}", root_.string(), d.digest));
}

ImageManifest OciLayout::read_manifest(std::string_view tag, const Platform& platform) const {
  auto d = resolve(tag);
  if (!d) {
    auto known = tags();
    std::string hint = known.empty() ? "the store has no tagged images; run 'mlbox build'"
                                     : "tags in the store: " + join(known, ", ");
    throw Error(ErrorKind::kConfig, fmt::format("{}: no image tagged '{}'", root_.string(), tag),
                hint);
  }
  if (is_index_media_type(d->media_type)) {
    ImageIndex index = parse_index(read_blob(*d), fmt::format("{}@{}", root_.string(), d->digest));
    auto chosen = select_platform(index, platform);
    if (!chosen) {
      throw Error(ErrorKind::kConfig, fmt::format("{}: image '{}' has no manifest for {}",
                                                  root_.string(), tag, to_string(platform)));
    }
    return read_manifest(*chosen);
  }
  return read_manifest(*d);
}

ImageConfig OciLayout::read_config(const ImageManifest& manifest) const {
  return parse_image_config(read_blob(manifest.config),
                            fmt::format("{}@{}", root_.string(), manifest.config.digest));
}

size_t OciLayout::clean_temp_files() {
  if (mode_ == Mode::kReadOnly) return 0;
  size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : stdfs::directory_iterator(root_ / kTempDir, ec)) {
    std::string name = entry.path().filename().string();
    if (!starts_with(name, kBlobTempPrefix)) continue;
    int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    // A writer holds its temp file locked; an unlocked one belongs to a dead process.
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      if (::unlink(entry.path().c_str()) == 0) ++removed;
    }
    ::close(fd);
  }
  // write_file_atomic's temp files for index.json and oci-layout are created only under
  // the index lock.
  fs::FileLock lock(root_ / kTempDir / "index.lock");
  for (const auto& entry : stdfs::directory_iterator(root_, ec)) {
    std::string name = entry.path().filename().string();
    if (starts_with(name, ".index.json.tmp-") || starts_with(name, ".oci-layout.tmp-")) {
      if (stdfs::remove(entry.path(), ec)) ++removed;
    }
  }
  return removed;
}

stdfs::path project_store_path(const stdfs::path& project_dir) {
  return project_dir / ".mlbox" / "oci";
}

bool is_internal_tag(std::string_view tag) {
  return tag == "mlbox-base" || starts_with(tag, "mlbox-archive-");
}

void refuse_internal_tag(std::string_view tag) {
  if (!is_internal_tag(tag)) return;
  throw Error(ErrorKind::kUsage,
              fmt::format("--tag {}: tags 'mlbox-base' and 'mlbox-archive-*' are mlbox's own (the "
                          "base images it keeps in .mlbox/oci)",
                          tag),
              "pick another tag");
}

std::vector<std::string> image_tags(const OciLayout& store) {
  std::vector<std::string> out;
  for (auto& t : store.tags()) {
    if (!is_internal_tag(t)) out.push_back(std::move(t));
  }
  return out;
}

std::string choose_image_tag(const OciLayout& store, const std::string& requested,
                             const std::string& preferred) {
  std::vector<std::string> tags = image_tags(store);
  auto has = [&](const std::string& t) {
    return std::find(tags.begin(), tags.end(), t) != tags.end();
  };
  const std::string listed = tags.empty() ? std::string("none") : join(tags, ", ");
  if (!requested.empty()) {
    if (has(requested)) return requested;
    throw Error(
        ErrorKind::kUsage,
        fmt::format("{} has no image tagged '{}' (image tags: {})", store.root().string(),
                    requested, listed),
        tags.empty() ? "build the image first: mlbox build" : "pick one of those with --tag");
  }
  if (tags.empty()) {
    throw Error(ErrorKind::kConfig, fmt::format("no image in {}", store.root().string()),
                "build one first: mlbox build");
  }
  if (!preferred.empty() && has(preferred)) return preferred;
  if (has("latest")) return "latest";
  if (tags.size() == 1) return tags.front();
  throw Error(ErrorKind::kUsage,
              fmt::format("several images in {} ({}) and none tagged 'latest'",
                          store.root().string(), listed),
              "choose one with --tag");
}

}  // namespace mlbox::image
