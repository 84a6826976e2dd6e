// Builds one image layer in a single streaming pass:
//   entries -> deterministic tar -> SHA-256 (diff_id) -> compressor -> SHA-256 (digest)
//   -> temp file in the store -> renamed to blobs/sha256/<digest>.
// Determinism: entries sorted by path with parents first (missing parents are added),
// mtime from SOURCE_DATE_EPOCH or 0, uid/gid 0 with empty names, modes normalised.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/events.h"
#include "image/compressor.h"
#include "image/descriptor.h"

namespace mlbox::image {

class OciLayout;

struct LayerEntry {
  enum class Type { kFile, kDirectory, kSymlink, kHardlink };
  Type type = Type::kFile;
  std::string path;              // in the image: relative, '/'-separated, no "." or ".."
  std::filesystem::path source;  // kFile: where the bytes are read from
  std::string link_target;       // kSymlink: target as stored; kHardlink: image path
  std::optional<uint32_t> mode;  // nullopt: normalised (see normalised_mode)
};

// 0755 for directories and files with any execute bit, 0644 for other files, 0777 for links.
uint32_t normalised_mode(LayerEntry::Type type, uint32_t source_mode);

// Entries for the files (and directories, symlinks) at `relative_paths` under `root`,
// placed under `image_prefix` ("app" puts root/x at /app/x; "" at /x). Symlinks are kept
// as links, regular files with the same inode become hard links to the first in path order.
// Other file types (sockets, devices, fifos) are refused with Error(kConfig).
std::vector<LayerEntry> entries_from_paths(const std::filesystem::path& root,
                                           const std::vector<std::string>& relative_paths,
                                           const std::string& image_prefix);
// Every entry below `root`, recursively.
std::vector<LayerEntry> entries_from_directory(const std::filesystem::path& root,
                                               const std::string& image_prefix);

struct LayerOptions {
  CompressionOptions compression;
  std::optional<int64_t> mtime;  // nullopt: SOURCE_DATE_EPOCH or 0
  std::string label = "layer";   // for progress events
};

struct LayerResult {
  Descriptor descriptor;    // the compressed blob, as the manifest lists it
  std::string diff_id;      // SHA-256 of the uncompressed tar
  uint64_t tar_size = 0;    // uncompressed bytes
  uint64_t bytes_read = 0;  // file content read from disk
  uint64_t entries = 0;     // tar entries written (parents included)
  uint64_t files = 0;       // regular files among them
  // Every entry's path in tar order, with its symlink target ("" when not a symlink): what
  // reading the layer back would list.
  std::vector<std::pair<std::string, std::string>> paths;
};

class LayerWriter {
 public:
  LayerWriter(OciLayout& store, LayerOptions options, Observer* observer = nullptr);
  // Sorts, validates and completes `entries`, then streams the layer into the store.
  LayerResult write(std::vector<LayerEntry> entries);
  // The layer's tar only, into `sink` (for tests and for diffing).
  LayerResult write_tar(std::vector<LayerEntry> entries, const ByteSink& sink);

 private:
  OciLayout& store_;
  LayerOptions options_;
  Observer* observer_;
};

// Sorted, validated, with missing parent directories added (mode 0755). Throws
// Error(kConfig) for a bad path, a duplicate, or a hard link to a later or missing entry.
std::vector<LayerEntry> normalise_entries(std::vector<LayerEntry> entries);

}  // namespace mlbox::image
