// Pulls an image into the OCI store: the manifest (an index is resolved to one platform,
// linux/amd64 unless told otherwise), its config and layers, each verified against its
// digest before it is renamed into the store; the tag is written last.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/events.h"
#include "image/oci_layout.h"
#include "manifest/image_ref.h"
#include "registry/blob_locations.h"
#include "registry/registry_client.h"

namespace mlbox::registry {

struct PullOptions {
  int jobs = 4;
  image::Platform platform{"amd64", "linux", "", {}, ""};
  std::string tag;  // the store tag to write; empty: the reference's tag, else "latest"
};

struct PullSummary {
  std::string reference;
  std::string digest;  // of the image manifest stored and tagged
  std::string media_type;
  std::string index_digest;  // when the reference named an index
  std::string tag;           // in the store
  int blobs = 0;
  int blobs_present = 0;  // already in the store
  uint64_t bytes_downloaded = 0;
  double seconds = 0;
  nlohmann::json to_json() const;
};

class RepositoryClient;
struct FetchedManifest;

// The image manifest `top` stands for: itself, or (an index) its manifest for `platform`,
// fetched from `repo`. Throws Error naming the platforms the index has when none matches, and
// when the result is not an OCI or Docker schema2 image manifest. `where` names the image.
FetchedManifest resolve_image_manifest(RepositoryClient& repo, const FetchedManifest& top,
                                       const image::Platform& platform, const std::string& where);

class ImagePuller {
 public:
  ImagePuller(RegistryClient& registry, Observer& observer, BlobLocations* locations);
  PullSummary pull(image::OciLayout& store, const manifest::RegistryReference& ref,
                   const PullOptions& options);

 private:
  RegistryClient& registry_;
  Observer& observer_;
  BlobLocations* locations_;
};

}  // namespace mlbox::registry
