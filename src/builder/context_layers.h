// How the native builder spreads the build context over layers, so that the layer a code
// change touches is small. Below the code layer, each cached by the stat of its files:
//   vendor layers  one per top-level directory holding at least kVendorDirBytes of files under
//                  kLargeFileBytes (vendored libraries, a copied stdlib, datasets of small
//                  files); at most kMaxVendorLayers, the largest;
//   assets layer   every file of kLargeFileBytes or more (weights, archives, shared libraries);
//   code layer     the rest: what changes between builds.
// Layers never share a file; parent directories repeat with identical metadata.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mlbox::builder {

inline constexpr uint64_t kLargeFileBytes = 1 << 20;
inline constexpr uint64_t kVendorDirBytes = 4 << 20;
inline constexpr size_t kMaxVendorLayers = 8;

struct ContextPart {
  std::string role;                // "vendor", "assets" or "code"
  std::string dir;                 // a vendor layer's top-level directory ("deps"); else empty
  std::vector<std::string> paths;  // relative to the project, as the context lists them
  uint64_t bytes = 0;              // regular-file bytes
  // For vendor and assets parts: a digest of each file's path, size, mtime, ctime, inode,
  // device and mode. A file edited, replaced, added or removed changes it; the code part has none.
  std::string stat_key;
};

// Splits the context listing (relative paths under `project`, files, directories and links)
// into parts in layer order: vendor parts by directory name, then assets, then code. Empty
// parts are left out, except the code part, which is always last.
std::vector<ContextPart> split_context(const std::filesystem::path& project,
                                       const std::vector<std::string>& paths);

}  // namespace mlbox::builder
