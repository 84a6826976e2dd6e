// Reading `docker save` / `skopeo copy ... docker-archive:FILE` tarballs into the OCI store.
// The archive holds manifest.json ([{"Config", "RepoTags", "Layers"}]), the image config and
// one tar per layer (uncompressed as docker writes them, gzip accepted), reached by path or
// through symlinks for layers shared between images.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/events.h"
#include "image/compressor.h"
#include "image/descriptor.h"
#include "image/oci_layout.h"

namespace mlbox::image {

struct DockerArchiveImport {
  Descriptor manifest;  // an OCI manifest in the store (not tagged)
  size_t layers = 0;
  size_t layers_compressed = 0;  // uncompressed layers this import compressed
};

// Imports the image `reference` names in the archive (one of its RepoTags; empty: the only
// image) into `store`. Uncompressed layers are checked against the config's rootfs.diff_ids
// while they are compressed with `compression` (gzip or zstd; kNone keeps plain tars);
// gzip layers are stored as they are, after their uncompressed digest is checked too. The
// config is kept byte for byte. Throws Error(kConfig) naming the archive and the entry for a
// missing or malformed part and for a layer whose content does not match its diff_id.
DockerArchiveImport import_docker_archive(const std::filesystem::path& archive,
                                          std::string_view reference, OciLayout& store,
                                          const CompressionOptions& compression,
                                          Observer* observer = nullptr);

}  // namespace mlbox::image
