// The rootfs cache of the local backend: an image's layers unpacked, in order, into
// $MLBOX_HOME/cache/rootfs/<chain-id-hex>/ (the OCI ChainID of the layer list, so two images
// with the same layers share one tree, and an image that extends a cached one starts from a
// copy of it). A tree appears only by rename of a complete temp directory, so a killed or
// failed unpack (bad digest, disk full) never leaves a corrupt entry.
//
// Layers are applied like umoci/containerd do: tar entries (gzip, zstd or uncompressed,
// detected by libarchive), OCI whiteouts `.wh.NAME` remove NAME from the lower layers,
// `.wh..wh..opq` hides everything the lower layers put in that directory. Paths are resolved
// inside the root: `..` cannot climb above it and symlinks (absolute or relative) in a parent
// path are followed as if the root were `/`, so no entry lands outside the tree.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/events.h"
#include "image/descriptor.h"
#include "image/oci_layout.h"

namespace mlbox::cloud::local {

// OCI ChainID: ChainID(L0) = DiffID(L0); ChainID(L0..Ln) = sha256(ChainID(L0..Ln-1) + " " +
// DiffID(Ln)).
std::string chain_id(const std::vector<std::string>& diff_ids);

struct LayerApplyStats {
  uint64_t entries = 0;
  uint64_t whiteouts = 0;
  uint64_t compressed_bytes = 0;
};

// Applies one layer blob onto `root`, checking the blob's SHA-256 (and size when > 0) against
// `descriptor` while reading. Throws Error(kConfig) naming the digest on a mismatch, and
// Error(kInternal) naming the path and errno on a write failure (ENOSPC...). On failure
// `root` is partially written: callers work in a temp directory.
LayerApplyStats apply_layer(const std::filesystem::path& blob, const image::Descriptor& descriptor,
                            const std::filesystem::path& root);

// A path inside `root`, with `relative`'s parent components resolved like a chroot would
// (symlinks followed, `..` clamped at root); the last component is not followed.
std::filesystem::path secure_join(const std::filesystem::path& root, const std::string& relative);

struct UnpackedRootfs {
  std::filesystem::path dir;  // the tree (read it, never write it: it is shared)
  std::string chain_id;
  bool cached = false;  // true: it was there already
  size_t layers_applied = 0;
};

class RootfsCache {
 public:
  // `root` is usually rootfs_cache_root(): $MLBOX_HOME/cache/rootfs.
  explicit RootfsCache(std::filesystem::path root);
  const std::filesystem::path& root() const { return root_; }

  // The unpacked tree for this manifest's layers (config diff_ids name the chain).
  UnpackedRootfs ensure(const image::OciLayout& layout, const image::ImageManifest& manifest,
                        const image::ImageConfig& config, Observer& observer);

  // Test hook: called before each layer is applied, with the temp tree (a test can fill
  // the disk or throw here).
  std::function<void(const std::filesystem::path&, size_t layer_index)> before_layer;

 private:
  std::filesystem::path root_;
};

std::filesystem::path rootfs_cache_root();  // $MLBOX_HOME/cache/rootfs

}  // namespace mlbox::cloud::local
