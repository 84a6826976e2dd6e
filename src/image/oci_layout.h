// The content-addressed store at .mlbox/oci: a valid OCI image layout (image-layout.md)
// that skopeo, umoci, buildah and crane read as "oci:DIR:TAG".
//
//   oci-layout                {"imageLayoutVersion":"1.0.0"}
//   index.json                the tagged manifests (annotation org.opencontainers.image.ref.name)
//   blobs/sha256/<hex>        content, named by its SHA-256
//   .tmp/                     blobs being written (flock'd), and the index lock
//
// A blob appears under blobs/ only by rename of a complete, hashed temp file, and
// index.json only by rename under the index lock. A killed writer leaves at most an
// unlocked temp file, removed by the next open(); stray blobs are harmless.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/descriptor.h"
#include "image/image_config.h"
#include "image/oci_manifest.h"
#include "util/hash.h"

namespace mlbox::image {

// A blob being streamed into the store. Destroying it uncommitted removes the temp file.
class BlobWriter {
 public:
  ~BlobWriter();
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;

  void write(const void* data, size_t size);
  uint64_t size() const { return size_; }
  // Names the blob by the SHA-256 of what was written and renames it into blobs/sha256/.
  Descriptor commit(std::string_view media_type);
  // The same, refusing (Error kRemote, nothing stored) when the content is not `expected`.
  Descriptor commit_expecting(std::string_view media_type, std::string_view expected_digest);

 private:
  friend class OciLayout;
  BlobWriter(std::filesystem::path temp_path, std::filesystem::path blobs_dir, int fd);
  Descriptor install(std::string_view media_type, const std::string& digest);
  void write_out(const char* data, size_t size);  // to the file at size_ - staged_
  void flush_staged(bool final);
  std::filesystem::path temp_path_;
  std::filesystem::path blobs_dir_;
  int fd_ = -1;
  Sha256 sha_;
  uint64_t size_ = 0;
  uint64_t written_ = 0;         // bytes in the file
  uint64_t writeback_from_ = 0;  // buffered writes: bytes before this were handed to writeback
  // Large blobs bypass the page cache (O_DIRECT) in aligned kDirectChunk pieces staged here:
  // filling page-cache pages cost more CPU than compressing them on a VM short of free
  // memory. The tail is written buffered; a file system without O_DIRECT is written buffered.
  std::unique_ptr<char, void (*)(void*)> staged_buf_{nullptr, &std::free};
  size_t staged_ = 0;
  bool direct_failed_ = false;
  bool done_ = false;
};

class OciLayout {
 public:
  // Opens the layout at `root`, creating oci-layout, index.json and blobs/sha256 when
  // missing, and removes temp files that no live writer holds. Throws Error(kConfig) when
  // `root` holds something that is not an OCI layout. kReadOnly (for a base image someone
  // else owns) creates, locks and cleans nothing and requires an existing layout; writes
  // then throw.
  enum class Mode { kReadWrite, kReadOnly };
  explicit OciLayout(std::filesystem::path root, Mode mode = Mode::kReadWrite);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path blob_path(std::string_view digest) const;
  bool has_blob(std::string_view digest) const;

  // Reads a blob and checks its size and digest against the descriptor.
  std::string read_blob(const Descriptor& descriptor) const;
  std::string read_blob(std::string_view digest) const;

  Descriptor put_blob(std::string_view media_type, std::string_view bytes);
  Descriptor put_json(std::string_view media_type, const nlohmann::json& value);
  std::unique_ptr<BlobWriter> begin_blob();

  // Stores config and manifest for these layers; returns the manifest's descriptor
  // (with the config's platform). Nothing is tagged.
  Descriptor write_image(const ImageConfig& config, const std::vector<Descriptor>& layers,
                         const std::map<std::string, std::string>& manifest_annotations = {});

  ImageIndex read_index() const;
  // Points `tag` at `manifest` in index.json (replacing what the tag named before).
  void tag(std::string_view tag, const Descriptor& manifest);
  // The descriptor index.json holds for `tag`.
  std::optional<Descriptor> resolve(std::string_view tag) const;
  // Every tag in index.json, internal ones included (see image_tags).
  std::vector<std::string> tags() const;

  // The image manifest for a tag (an index is resolved to `platform`).
  ImageManifest read_manifest(std::string_view tag,
                              const Platform& platform = host_platform()) const;
  ImageManifest read_manifest(const Descriptor& descriptor) const;
  ImageConfig read_config(const ImageManifest& manifest) const;

  // Removes temp files of writers that are gone; returns how many.
  size_t clean_temp_files();

 private:
  void require_writable() const;
  std::filesystem::path root_;
  Mode mode_ = Mode::kReadWrite;
};

// The default store of a project: <project>/.mlbox/oci.
std::filesystem::path project_store_path(const std::filesystem::path& project_dir);

// Tags mlbox keeps for itself in a project store ("mlbox-base", a pulled registry base;
// "mlbox-archive-<key>", an imported docker-archive): never taken for the project's image.
bool is_internal_tag(std::string_view tag);
// Throws Error(kUsage) for an internal tag given as `--tag`.
void refuse_internal_tag(std::string_view tag);
// The store's tags without the internal ones, in index order (newest last).
std::vector<std::string> image_tags(const OciLayout& store);
// The tag `push`, `run` and `submit` use: `requested` when given (an error listing the image
// tags when the store lacks it), else `preferred` when the store has it, else "latest", else
// the only image tag; no image, or several and none of those, is an error saying what to do.
std::string choose_image_tag(const OciLayout& store, const std::string& requested,
                             const std::string& preferred = "");

}  // namespace mlbox::image
