// The rule that cuts a build context into stable layers, at any depth, as a pure function of
// the context's relative paths, entry types and file sizes (never of where the project lies,
// of mtimes or of the order the paths come in): the same tree always gives the same layers.
//
//   heavy         a directory whose subtree holds kStableTreeBytes or more of file bytes.
//   split(D)      D's heavy children become layers of their own; the rest of D (its files
//                 and light subdirectories, plus the heavy children the cap left out) becomes
//                 one "D/*" layer when it holds kStableTreeBytes or more, or lies in a
//                 vendored-looking tree (site-packages, node_modules, deps, ...); otherwise it
//                 falls to the code layer. A split that would leave a rest layer under
//                 kMinRestBytes is not made (torch/ stays whole beside its lib/). A chain of
//                 directories each holding one heavy child and nothing else is walked through (the
//                 layer keeps the top's name).
//   partition     the root is split first (its own rest is always code); then, largest first
//                 (by size class, floor(log2(bytes)), then path), every layer that is a whole
//                 heavy directory is split while the count stays within kMaxStableLayers.
//                 A directory without heavy children is a leaf: one layer.
// So a project's code next to a vendored tree (`src/*.py` beside `src/deps/python3/...`)
// leaves that tree in layers of its own, and a one-file edit re-tars only the layer that
// holds the file. Files not in any stable layer go to the assets layer (kLargeFileBytes or
// more) or the code layer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mlbox::builder {

inline constexpr uint64_t kLargeFileBytes = 1 << 20;
inline constexpr uint64_t kStableTreeBytes = 4 << 20;
inline constexpr size_t kMaxStableLayers = 16;
inline constexpr uint64_t kMinRestBytes = 1 << 20;

struct TreeEntry {
  std::string rel;  // relative, '/'-separated
  bool is_dir = false;
  uint64_t bytes = 0;  // a regular file's size; 0 for directories and links
};

struct StableLayer {
  std::string path;             // the directory ("src/deps"), or its rest ("src/deps/*", "*")
  std::vector<size_t> entries;  // indices into the input, in input order
  uint64_t bytes = 0;           // file bytes of those entries
};

struct Partition {
  std::vector<StableLayer> stable;  // ordered by path
  std::vector<size_t> assets;       // large files outside the stable layers
  std::vector<size_t> code;         // everything else
};

struct PartitionLimits {
  uint64_t stable_tree_bytes = kStableTreeBytes;
  uint64_t large_file_bytes = kLargeFileBytes;
  size_t max_stable_layers = kMaxStableLayers;
  uint64_t min_rest_bytes = kMinRestBytes;
};

// Directory names whose content is someone else's code: a split of such a directory (or of
// one below it) keeps its rest in a stable layer however small.
bool is_vendored_name(const std::string& name);

Partition partition_context(const std::vector<TreeEntry>& entries,
                            const PartitionLimits& limits = {});

}  // namespace mlbox::builder
