#include "image/docker_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "image/image_config.h"
#include "image/oci_manifest.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/strings.h"

namespace mlbox::image {

namespace {

using nlohmann::json;

constexpr size_t kMaxJsonEntry = 16 << 20;  // manifest.json and configs are small

// libarchive's strings may be null (no error text, an entry without a name or a link).
const char* or_empty(const char* text) {
  return text ? text : "";
}
const char* error_text(struct archive* a) {
  const char* text = archive_error_string(a);
  return text ? text : "unreadable data";
}

struct ArchiveReader {
  struct archive* a = archive_read_new();
  ArchiveReader(const std::filesystem::path& file) {
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_filename(a, file.c_str(), 1 << 20) != ARCHIVE_OK) {
      std::string why = error_text(a);
      archive_read_free(a);  // the destructor does not run for a throwing constructor
      throw Error(ErrorKind::kConfig, fmt::format("{}: cannot read: {}", file.string(), why),
                  "docker-archive:PATH names a tarball written by `docker save` or "
                  "`skopeo copy ... docker-archive:PATH`");
    }
  }
  ~ArchiveReader() { archive_read_free(a); }
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;
};

std::string normalise(std::string path) {
  while (starts_with(path, "./")) path.erase(0, 2);
  while (starts_with(path, "/")) path.erase(0, 1);
  return path;
}

struct EntryInfo {
  std::string link;  // symlink or hard link target (archive path), empty for files
  int64_t size = 0;
};

// Hashes the uncompressed content of a gzip stream (possibly multi-member).
class GunzipHasher {
 public:
  GunzipHasher() {
    if (inflateInit2(&z_, 15 + 32) != Z_OK) throw Error(ErrorKind::kInternal, "inflateInit2");
  }
  ~GunzipHasher() { inflateEnd(&z_); }
  GunzipHasher(const GunzipHasher&) = delete;
  GunzipHasher& operator=(const GunzipHasher&) = delete;
  // Returns false on corrupt data.
  bool update(const void* data, size_t size) {
    z_.next_in = static_cast<Bytef*>(const_cast<void*>(data));
    z_.avail_in = static_cast<uInt>(size);
    unsigned char out[1 << 16];
    while (z_.avail_in > 0) {
      if (ended_) {  // another member follows
        inflateReset(&z_);
        ended_ = false;
      }
      z_.next_out = out;
      z_.avail_out = sizeof out;
      int r = inflate(&z_, Z_NO_FLUSH);
      sha_.update(out, sizeof out - z_.avail_out);
      if (r == Z_STREAM_END) {
        ended_ = true;
      } else if (r != Z_OK && r != Z_BUF_ERROR) {
        return false;
      }
      if (r == Z_BUF_ERROR && z_.avail_out != 0) break;
    }
    return true;
  }
  bool complete() const { return ended_; }
  std::string digest() { return "sha256:" + sha_.finish_hex(); }

 private:
  z_stream z_{};
  Sha256 sha_;
  bool ended_ = false;
};

// One layer entry streamed into the store.
struct LayerImport {
  Descriptor descriptor;
  std::string diff_id;
  bool compressed_here = false;
};

LayerImport import_layer(struct archive* a, OciLayout& store, const CompressionOptions& options,
                         const std::string& where, int64_t size, Observer* observer,
                         const std::string& label) {
  auto blob = store.begin_blob();
  Sha256 diff;
  std::unique_ptr<GunzipHasher> gunzip;
  std::unique_ptr<Compressor> compressor;
  std::string head;  // the first bytes, to tell gzip from a plain tar
  bool decided = false;
  uint64_t done = 0, next_report = 0;
  auto decide = [&](std::string_view first) {
    decided = true;
    bool is_gzip = first.size() >= 2 && static_cast<unsigned char>(first[0]) == 0x1f &&
                   static_cast<unsigned char>(first[1]) == 0x8b;
    if (first.size() >= 4 && static_cast<unsigned char>(first[0]) == 0x28 &&
        static_cast<unsigned char>(first[1]) == 0xb5 &&
        static_cast<unsigned char>(first[2]) == 0x2f &&
        static_cast<unsigned char>(first[3]) == 0xfd) {
      throw Error(ErrorKind::kConfig, where + ": zstd-compressed layers are not supported here",
                  "save the image with uncompressed or gzip layers");
    }
    if (is_gzip) {
      gunzip = std::make_unique<GunzipHasher>();
    } else if (options.compression != Compression::kNone) {
      compressor =
          make_compressor(options, [&blob](const void* d, size_t n) { blob->write(d, n); });
    }
  };
  auto feed = [&](const void* data, size_t n) {
    if (gunzip) {
      blob->write(data, n);
      if (!gunzip->update(data, n)) {
        throw Error(ErrorKind::kConfig, where + ": corrupt gzip data");
      }
    } else {
      diff.update(data, n);
      if (compressor) {
        compressor->write(data, n);
      } else {
        blob->write(data, n);
      }
    }
  };
  const void* buf;
  size_t n;
  la_int64_t offset;
  for (;;) {
    int r = archive_read_data_block(a, &buf, &n, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      throw Error(ErrorKind::kConfig, fmt::format("{}: {}", where, error_text(a)));
    }
    if (!decided) {
      head.append(static_cast<const char*>(buf), n);
      if (head.size() < 4) continue;
      decide(head);
      feed(head.data(), head.size());
    } else {
      feed(buf, n);
    }
    done += n;
    if (observer && done >= next_report) {
      observer->on_event(ProgressEvent{label, label, done, static_cast<uint64_t>(size), "running"});
      next_report = done + (8u << 20);
    }
  }
  if (!decided) {  // fewer than 4 bytes in all
    decide(head);
    feed(head.data(), head.size());
  }
  LayerImport out;
  if (gunzip) {
    if (!gunzip->complete()) throw Error(ErrorKind::kConfig, where + ": truncated gzip data");
    out.diff_id = gunzip->digest();
    out.descriptor = blob->commit(media_type::kLayerGzip);
  } else {
    out.diff_id = "sha256:" + diff.finish_hex();
    if (compressor) {
      compressor->finish();
      out.compressed_here = true;
    }
    out.descriptor =
        blob->commit(compressor ? layer_media_type(options.compression) : media_type::kLayerTar);
  }
  if (observer) {
    observer->on_event(ProgressEvent{label, label, done, done, "done"});
  }
  return out;
}

}  // namespace

DockerArchiveImport import_docker_archive(const std::filesystem::path& file,
                                          std::string_view reference, OciLayout& store,
                                          const CompressionOptions& compression,
                                          Observer* observer) {
  const std::string name = file.string();
  // Pass 1: the listing, manifest.json and the small JSON files (configs).
  std::map<std::string, EntryInfo> entries;
  std::map<std::string, std::string> json_files;
  {
    ArchiveReader r(file);
    struct archive_entry* e = nullptr;
    for (;;) {
      int rc = archive_read_next_header(r.a, &e);
      if (rc == ARCHIVE_EOF) break;
      if (rc < ARCHIVE_WARN) {
        throw Error(ErrorKind::kConfig, fmt::format("{}: {}", name, error_text(r.a)),
                    "the archive is not a tar file, or it is truncated");
      }
      std::string path = normalise(or_empty(archive_entry_pathname(e)));
      EntryInfo info;
      info.size = archive_entry_size(e);
      if (const char* hard = archive_entry_hardlink(e)) {
        info.link = normalise(hard);
      } else if (archive_entry_filetype(e) == AE_IFLNK) {
        std::string target = or_empty(archive_entry_symlink(e));
        std::filesystem::path dir = std::filesystem::path(path).parent_path();
        info.link = normalise(
            target.starts_with("/") ? target : (dir / target).lexically_normal().generic_string());
      } else if (archive_entry_filetype(e) == AE_IFREG && ends_with(path, ".json") &&
                 info.size <= static_cast<int64_t>(kMaxJsonEntry)) {
        std::string bytes(static_cast<size_t>(info.size), '\0');
        la_ssize_t got = archive_read_data(r.a, bytes.data(), bytes.size());
        if (got != static_cast<la_ssize_t>(bytes.size())) {
          throw Error(ErrorKind::kConfig, fmt::format("{}: {}: short read", name, path));
        }
        json_files[path] = std::move(bytes);
      }
      entries[path] = info;
    }
  }
  auto resolve = [&](const std::string& path) {
    std::string p = normalise(path);
    for (int hops = 0; hops < 16; ++hops) {
      auto it = entries.find(p);
      if (it == entries.end()) {
        throw Error(ErrorKind::kConfig,
                    fmt::format("{}: manifest.json names '{}', which the archive does not hold",
                                name, path));
      }
      if (it->second.link.empty()) return p;
      p = it->second.link;
    }
    throw Error(ErrorKind::kConfig, fmt::format("{}: '{}': too many links", name, path));
  };

  auto mj = json_files.find("manifest.json");
  if (mj == json_files.end()) {
    throw Error(ErrorKind::kConfig, name + ": no manifest.json in the archive",
                "this is not a docker-archive (docker save) tarball");
  }
  json manifests = parse_json_document(mj->second, name + ": manifest.json");
  if (!manifests.is_array() || manifests.empty()) {
    throw Error(ErrorKind::kConfig, name + ": manifest.json lists no image");
  }
  const json* chosen = nullptr;
  std::vector<std::string> all_tags;
  for (const auto& m : manifests) {
    for (const auto& t : m.value("RepoTags", json::array())) {
      if (!t.is_string()) continue;
      std::string tag = t.get<std::string>();
      all_tags.push_back(tag);
      if (!reference.empty() && (tag == reference || tag == std::string(reference) + ":latest")) {
        chosen = &m;
      }
    }
  }
  if (reference.empty()) {
    if (manifests.size() != 1) {
      throw Error(ErrorKind::kConfig,
                  fmt::format("{}: the archive holds {} images", name, manifests.size()),
                  "name one: docker-archive:PATH:REPO:TAG (one of " + join(all_tags, ", ") + ")");
    }
    chosen = &manifests[0];
  } else if (!chosen) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{}: no image tagged '{}' in the archive", name, reference),
                all_tags.empty() ? std::string("the archive's images have no tags")
                                 : "tags: " + join(all_tags, ", "));
  }
  std::string config_path;
  std::vector<std::string> layer_paths;
  try {
    config_path = resolve(chosen->at("Config").get<std::string>());
    for (const auto& l : chosen->at("Layers")) layer_paths.push_back(resolve(l.get<std::string>()));
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: manifest.json: {}", name, e.what()));
  }
  auto cj = json_files.find(config_path);
  if (cj == json_files.end()) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{}: config {} is not a readable JSON file", name, config_path));
  }
  ImageConfig config = parse_image_config(cj->second, name + ": " + config_path);
  if (config.diff_ids.size() != layer_paths.size()) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{}: manifest.json lists {} layers but the config's rootfs has {} "
                            "diff_ids",
                            name, layer_paths.size(), config.diff_ids.size()));
  }

  // Pass 2: the layers, each once, in archive order.
  std::map<std::string, LayerImport> imported;
  std::set<std::string> wanted(layer_paths.begin(), layer_paths.end());
  DockerArchiveImport result;
  {
    ArchiveReader r(file);
    struct archive_entry* e = nullptr;
    for (;;) {
      int rc = archive_read_next_header(r.a, &e);
      if (rc == ARCHIVE_EOF) break;
      if (rc < ARCHIVE_WARN) {
        throw Error(ErrorKind::kConfig, fmt::format("{}: {}", name, error_text(r.a)));
      }
      std::string path = normalise(or_empty(archive_entry_pathname(e)));
      if (!wanted.count(path) || imported.count(path)) continue;
      size_t index = 0;
      while (layer_paths[index] != path) ++index;
      std::string label = fmt::format("base layer {}/{}", index + 1, layer_paths.size());
      imported[path] = import_layer(r.a, store, compression, name + ": " + path,
                                    archive_entry_size(e), observer, label);
    }
  }
  ImageManifest m;
  m.config = store.put_blob(media_type::kImageConfig, cj->second);
  for (size_t i = 0; i < layer_paths.size(); ++i) {
    const LayerImport& l = imported.at(layer_paths[i]);
    if (l.diff_id != config.diff_ids[i]) {
      throw Error(ErrorKind::kConfig,
                  fmt::format("{}: layer {} ({}) has content {} but the config's "
                              "rootfs.diff_ids[{}] is {}",
                              name, i, layer_paths[i], l.diff_id, i, config.diff_ids[i]),
                  "the archive is corrupt or was edited; save the image again");
    }
    m.layers.push_back(l.descriptor);
  }
  for (const auto& [path, l] : imported) result.layers_compressed += l.compressed_here;
  result.layers = m.layers.size();
  result.manifest = store.put_json(media_type::kImageManifest, to_json(m));
  if (!config.platform.architecture.empty()) result.manifest.platform = config.platform;
  return result;
}

}  // namespace mlbox::image
