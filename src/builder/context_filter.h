// The build context: which files of the project go into the code layer. Rules, in order,
// the last match deciding (Docker's .dockerignore semantics, see ignore_patterns.h):
//   1. .dockerignore, 2. .mlboxignore, 3. context.exclude from mlbox.yaml.
// When context.include is set, only paths it matches (or that lie below a match) are
// candidates at all. .mlbox/ (the store and generated files) is never part of the context.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "builder/ignore_patterns.h"

namespace mlbox::builder {

struct ContextRules {
  std::vector<std::string> include;  // context.include; empty = everything
  std::vector<std::string> exclude;  // context.exclude
  bool read_dockerignore = true;
  bool read_mlboxignore = true;
};

struct ContextEntry {
  enum class Type { kFile, kDirectory, kSymlink };
  std::string path;  // relative to the context root, '/'-separated
  Type type = Type::kFile;
};

struct ContextListing {
  std::vector<ContextEntry> entries;  // sorted by path; directories kept when non-empty
                                      // after filtering or themselves not excluded
  std::vector<std::string> paths() const;
  std::vector<std::string> files() const;  // regular files and symlinks only
};

// Walks `root` (symlinks are not followed). Throws Error(kConfig) for unreadable
// directories, bad patterns (naming file:line) and special files that are not excluded.
ContextListing list_build_context(const std::filesystem::path& root, const ContextRules& rules);

// The exclusion rules for `root` (ignore files + rules.exclude), for callers that filter
// paths themselves.
IgnorePatterns load_exclusions(const std::filesystem::path& root, const ContextRules& rules);

}  // namespace mlbox::builder
