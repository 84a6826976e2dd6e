// What a build leaves behind, whichever builder made it: an image tagged in the project's
// OCI layout, with one entry per layer saying where it came from and whether this build
// had to make it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/descriptor.h"

namespace mlbox::builder {

struct BuiltLayer {
  // "base", "deps", "trainer", "vendor", "assets", "code"; "layer" from an external builder
  std::string role;
  std::string path;  // a vendor layer's subtree ("src/deps", "src/deps/*"); a deps layer's package
  image::Descriptor descriptor;
  std::string diff_id;
  bool reused = false;  // base layer copied, or a cached deps / trainer layer
  uint64_t files = 0;
  uint64_t bytes_read = 0;
  // This build tarred and hashed the layer (false for base layers and cache hits).
  bool rebuilt() const { return role != "base" && !reused; }
};

struct BuildResult {
  std::filesystem::path store;
  std::string tag;
  std::string builder;  // "native", "buildah", "podman", "docker"
  image::Descriptor manifest;
  image::Descriptor config;
  std::vector<BuiltLayer> layers;
};

// What `mlbox build --json` prints.
nlohmann::json to_json(const BuildResult& result);

}  // namespace mlbox::builder
