// The native builder: assembles the image on the host without a daemon or root.
//   base (from an OCI layout) -> deps layers (one per locked package, pip --target for the
//   image's platform into /opt/mlbox/site-packages, builder/deps_layers.h) -> trainer layer
//   (/opt/mlbox) -> native layer (train.native only: mlbox-native compiled against the lock's
//   torch, /opt/mlbox/native) -> vendor and assets layers (the context's stable subtrees and
//   large files, builder/context_layers.h) -> code layer (/workspace)
// Each layer is a deterministic tar, compressed in parallel, stored by digest in the
// project's .mlbox/oci, and cached by a key of its inputs (builder/layer_cache.h): a package
// layer by its pin, the trainer layer by the bundle's content, context layers by the stat of
// their files, so a one-file change re-tars and re-hashes only the layer that holds the file.
// The build context is scanned for secrets before anything is written.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "builder/build_result.h"
#include "builder/plan.h"
#include "core/events.h"
#include "image/compressor.h"
#include "image/descriptor.h"
#include "image/image_config.h"
#include "image/oci_manifest.h"
#include "manifest/manifest.h"
#include "util/process.h"

namespace mlbox::image {
class OciLayout;
}

namespace mlbox::builder {

inline constexpr const char* kCodeDir = "workspace";  // the code layer's place in the image

struct NativeBuildOptions {
  std::filesystem::path project_dir;
  std::filesystem::path store_dir;  // empty: <project>/.mlbox/oci
  std::string tag = "latest";
  // Where to read the base from when not image.base itself: "oci:DIR:TAG" of a copy the
  // caller made (the CLI pulls a registry base into the store first). The label keeps
  // image.base.
  std::string base_override;
  image::CompressionOptions compression;
  std::filesystem::path trainer_binary;  // empty: builder::locate_trainer_binary()
  std::filesystem::path trainer_cache;   // empty: $MLBOX_HOME/cache/trainer
  std::filesystem::path native_cache;    // empty: $MLBOX_NATIVE_CACHE or $MLBOX_HOME/cache/native
  // Where pip finds the locked wheels (the lock itself carries --extra-index-url lines).
  std::string python_exe = "python3";
  std::vector<std::string> find_links;
  bool no_index = false;
  std::string index_url;
};

using NativeBuildResult = BuildResult;

// Builds the image `plan` describes (plan_build: the manifest, the lock when there is one,
// the base, labels and command; the lock's staleness and the GPU check are done there).
NativeBuildResult build_native(const BuildPlan& plan, const NativeBuildOptions& options,
                               CommandRunner& runner, Observer& observer);

// pip's --no-index / --index-url / --find-links for where the locked wheels are.
void append_wheel_sources(std::vector<std::string>& argv, bool no_index,
                          const std::string& index_url, const std::vector<std::string>& find_links);

// Installs the locked distributions for `lock`'s platform and Python into `target` (pip
// --target, --only-binary=:all:, --require-hashes, --no-deps, --no-compile); console-script
// shebangs are pointed at the image's python3.
void install_locked_packages(const std::filesystem::path& lock_file, const std::string& platform,
                             const std::string& python_version, const std::filesystem::path& target,
                             const NativeBuildOptions& options, CommandRunner& runner);

struct BaseImage {
  image::ImageManifest manifest;
  image::ImageConfig config;
  std::string reference;  // as written in mlbox.yaml
};

// Reads the base named by image.base ("oci:PATH[:TAG]" or "docker-archive:PATH[:REPO:TAG]",
// PATH relative to the project) and copies its blobs into `store`; an archive's uncompressed
// layers are compressed with `compression` (once: the import is cached in the store by the
// archive's path, size and mtime). Registry bases are refused with a hint: the caller pulls
// them first (build is below registry) and passes NativeBuildOptions::base_override.
BaseImage import_base_image(const std::string& base, const std::filesystem::path& project_dir,
                            image::OciLayout& store,
                            const image::CompressionOptions& compression = {},
                            Observer* observer = nullptr);

}  // namespace mlbox::builder
