// How the native builder spreads the build context over layers, so that the layer a code
// change touches is small. Below the code layer, each cached by the stat of its files:
//   vendor layers  the stable subtrees, at any depth, that builder/context_partition.h picks
//                  (at most kMaxStableLayers; vendored libraries, a copied stdlib, datasets of
//                  small files, wherever they sit in the tree);
//   assets layer   every other file of kLargeFileBytes or more (weights, archives);
//   code layer     the rest: what changes between builds (cached by the same stat key, so a
//                  change elsewhere leaves it alone).
// Layers never share a file; parent directories repeat with identical metadata.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "builder/context_partition.h"

namespace mlbox::builder {

struct ContextPart {
  std::string role;                // "vendor", "assets" or "code"
  std::string dir;                 // a vendor layer's subtree ("src/deps", "deps/*"); else empty
  std::vector<std::string> paths;  // relative to the project, as the context lists them
  uint64_t bytes = 0;              // regular-file bytes
  // A digest of each file's path, size, mtime, ctime, inode, device and mode (directories:
  // the path only). A file edited, replaced, added or removed changes it.
  std::string stat_key;
};

// Splits the context listing (relative paths under `project`, files, directories and links)
// into parts in layer order: vendor parts by path, then assets, then code. Empty
// parts are left out, except the code part, which is always last.
std::vector<ContextPart> split_context(const std::filesystem::path& project,
                                       const std::vector<std::string>& paths);

}  // namespace mlbox::builder
