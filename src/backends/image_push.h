// Pushing the project's image (`mlbox push`, and `mlbox submit` before it creates a cloud
// job): the store's image -> HOST/REPO[:TAG], only missing blobs moving; ECR repositories
// are created when missing (unless no_create), as ECR tooling users expect.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "backends/registry_connection.h"
#include "core/events.h"
#include "jobs/job_submission.h"
#include "registry/image_pusher.h"

namespace mlbox::backends {

struct PushRequest {
  std::filesystem::path store;  // the project's OCI layout (.mlbox/oci)
  std::string reference;        // HOST/REPO[:TAG]; the tag defaults to the store's tag
  std::string tag;              // the store's tag to push; empty = image::choose_image_tag
  int64_t chunk_size = -1;      // -1: automatic
  bool no_create = false;       // ECR: fail instead of CreateRepository
  RegistryOptions registry;
};

// Throws Error(kUsage) for a reference that is malformed or names a digest.
registry::PushSummary push_image(const PushRequest& request, Observer& observer);

// What push_image would send, without sending it (`submit --dry-run`): the canonical
// reference and the digest of the tag it would choose. Error(kConfig) without a store.
jobs::PushedImage image_push_would_send(const std::filesystem::path& store,
                                        const std::string& reference, const std::string& tag);

// What a push of the store's image would move (`submit` and `submit --dry-run` print it
// before anything is sent): every blob HEADed in the target repository; missing ones are
// the bytes to push. image_bytes is what a machine pulls (config + compressed layers).
struct PushEstimate {
  uint64_t image_bytes = 0;
  uint64_t bytes_to_push = 0;
  int blobs = 0;
  int blobs_missing = 0;
  std::string registry_problem;  // non-empty: the HEADs failed; bytes_to_push = all of it
};
PushEstimate estimate_push(const std::filesystem::path& store, const std::string& reference,
                           const std::string& tag, const RegistryOptions& options,
                           Observer& observer);

// The digest a registry holds for HOST/REPO:TAG (a manifest GET, nothing written), for
// `submit --image REPO:TAG`: the job runs that exact image even if the tag moves later.
std::string registry_digest_of(const std::string& reference, const RegistryOptions& options,
                               Observer& observer);

// The lock digest and base image (image::provenance_of) that the labels of REPO@DIGEST's
// config carry, read from the registry (`submit --image`: the job record names them as it
// does for an image mlbox pushed). An index is resolved to linux/amd64. {} when the image has
// no mlbox labels; throws Error when the registry cannot be read or has no linux/amd64 image.
nlohmann::json registry_image_provenance(const std::string& repository, const std::string& digest,
                                         const RegistryOptions& options, Observer& observer);

}  // namespace mlbox::backends
