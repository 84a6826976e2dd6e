// Pushes an image from the OCI store: HEAD every blob, mount what another repository on
// the same registry holds, upload the rest in parallel (largest first), then PUT the
// manifest (OCI; Docker schema2 when the registry rejects OCI). The tag is written last,
// only after every blob is confirmed, so a push killed half-way leaves no tag.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/events.h"
#include "image/oci_layout.h"
#include "manifest/image_ref.h"
#include "registry/blob_locations.h"
#include "registry/registry_client.h"

namespace mlbox::registry {

struct PushOptions {
  int jobs = 4;
  // nullopt: monolithic below 32 MiB, else 16 MiB chunks. 0: always monolithic.
  std::optional<uint64_t> chunk_size;
  bool docker_fallback = true;
};

struct PushSummary {
  std::string reference;   // host/repo:tag
  std::string digest;      // of the manifest (or index) the tag names
  std::string media_type;  // as pushed
  bool docker_fallback = false;
  int blobs = 0;
  int blobs_skipped = 0;  // already on the registry
  int blobs_mounted = 0;  // mounted from another repository
  int blobs_uploaded = 0;
  uint64_t bytes_total = 0;     // of all blobs
  uint64_t bytes_uploaded = 0;  // sent, re-sends included
  int resumes = 0;              // chunk uploads resumed from the registry's Range
  int restarts = 0;             // uploads begun again
  uint64_t retries = 0;         // HTTP requests retried
  double seconds = 0;
  nlohmann::json to_json() const;
};

// The chunk size `options` gives a blob of `size` bytes (0 = monolithic).
uint64_t chunk_size_for(const PushOptions& options, uint64_t size);

class ImagePusher {
 public:
  // `observer` must be thread-safe (see core/locked_observer.h). `locations` may be null.
  ImagePusher(RegistryClient& registry, Observer& observer, BlobLocations* locations);

  // Pushes what `top` (an image manifest or index in `store`) names to dest (its tag, or
  // its digest when the reference has no tag).
  PushSummary push(const image::OciLayout& store, const image::Descriptor& top,
                   const manifest::RegistryReference& dest, const PushOptions& options);

 private:
  RegistryClient& registry_;
  Observer& observer_;
  BlobLocations* locations_;
};

// The Docker schema2 form of an OCI image manifest, or nullopt when a layer type has no
// Docker equivalent (zstd, foreign media types).
std::optional<std::string> to_docker_schema2(const image::ImageManifest& manifest);

}  // namespace mlbox::registry
