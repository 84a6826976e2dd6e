// The locked distributions as layers: one per package, so that adding, removing or bumping
// one package changes one layer, and a package's layer is the same blob in every project that
// locks the same wheel for the same Python and platform (a registry mounts it across
// repositories instead of receiving it again).
//   layer     what `pip install --no-deps --require-hashes --target` writes for that package
//             alone, at /opt/mlbox/site-packages (console scripts in its bin/, pointed at the
//             image's python3). Its tar depends on the wheel and the install only: the cache
//             key is the pin, its sha256 hashes, the platform, the Python, the compression
//             settings and SOURCE_DATE_EPOCH.
//   grouping  a lock of more than kMaxDepsLayers packages is put into kMaxDepsLayers groups
//             by a hash of each package's name (a package always lands in the same group, so
//             a change still moves one layer), which keeps the image within registries'
//             layer limits.
//   overlay   the layers share directories only (site-packages, bin, namespace packages);
//             a file two packages both write is reported, and the later layer's copy (lock
//             order, as pip's own install order leaves it) is the one the image holds.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "builder/build_result.h"
#include "core/events.h"
#include "freeze/lock.h"
#include "image/layer_writer.h"
#include "util/process.h"

namespace mlbox::image {
class OciLayout;
}

namespace mlbox::builder {

struct NativeBuildOptions;
class LayerCache;

inline constexpr size_t kMaxDepsLayers = 64;

struct DepsGroup {
  std::string name;              // the package's name; "group-07" for a group
  std::vector<size_t> packages;  // indices into Lock::packages, in lock order
};

// One group per package in lock order, or kMaxDepsLayers hash groups (in group order) when
// the lock holds more packages than that.
std::vector<DepsGroup> group_locked_packages(const freeze::Lock& lock,
                                             size_t max_layers = kMaxDepsLayers);

// The cache key of a group's layer: a pure function of its pins and wheel hashes, the target
// platform and Python, and `settings` (compression identity and SOURCE_DATE_EPOCH).
std::string deps_layer_key(const freeze::Lock& lock, const DepsGroup& group,
                           const std::string& platform, const std::string& python,
                           const std::string& settings);

struct DepsLayerInputs {
  const freeze::Lock* lock = nullptr;
  std::string platform;
  std::string python;
  std::string settings;
  std::filesystem::path work_dir;               // where packages are staged (<project>/.mlbox)
  const NativeBuildOptions* sources = nullptr;  // python_exe and the wheel sources
  std::string sources_note;  // said (info) before the first install when not empty
};

// The deps layers, in group order: cached ones reused, the others installed and written,
// several at once (the bytes of each depend on its own wheel only, never on scheduling).
std::vector<BuiltLayer> build_deps_layers(const DepsLayerInputs& in, LayerCache& cache,
                                          image::OciLayout& store,
                                          const image::LayerOptions& options, CommandRunner& runner,
                                          Observer& observer);

}  // namespace mlbox::builder
