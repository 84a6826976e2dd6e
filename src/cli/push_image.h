// Pushing the project's image, shared by `mlbox push` and `mlbox submit` (which pushes
// before submitting, so the job's image is the one just built).
#pragma once

#include <cstdint>
#include <string>

#include "cli/context.h"
#include "cli/registry_flags.h"
#include "registry/image_pusher.h"

namespace mlbox::cli {

struct PushFlags {
  std::string reference;    // HOST/REPO[:TAG]; empty = image.repository from mlbox.yaml
  std::string tag;          // the store's tag to push; empty = image::choose_image_tag
  int64_t chunk_size = -1;  // -1: automatic
  bool no_create = false;   // ECR: fail instead of CreateRepository
  RegistryFlags registry;
};

// Pushes the project's image from .mlbox/oci; throws mlbox::Error on failure.
registry::PushSummary push_project_image(Context& ctx, const PushFlags& flags);

}  // namespace mlbox::cli
