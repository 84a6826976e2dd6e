// Bounds on a YAML document from outside, checked before anything walks it. yaml-cpp
// shares an aliased node instead of copying it, so a few hundred bytes of nested aliases
// (a "billion laughs") stand for billions of nodes; whatever walks the tree (the manifest
// reader, yaml_to_json) would expand them. The walk here counts nodes as they would be
// expanded and stops at the first limit.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "manifest/manifest.h"

namespace mlbox::manifest {

struct YamlLimits {
  size_t max_bytes = 1u << 20;            // the text itself
  int max_depth = 64;                     // nested maps and lists
  size_t max_nodes = 100'000;             // nodes, aliases expanded
  size_t max_expanded_bytes = 16u << 20;  // scalar bytes, aliases expanded
};

struct YamlLimitExceeded {
  Mark mark;         // where the walk stopped; line 0 when the text itself is too large
  std::string what;  // "the YAML expands to more than 100000 nodes"
};

// Checks the size of the text before parsing.
std::optional<YamlLimitExceeded> check_yaml_text(std::string_view text,
                                                 const YamlLimits& limits = {});
// Checks depth, expanded node count and expanded scalar bytes of a parsed document.
std::optional<YamlLimitExceeded> check_yaml_tree(const YAML::Node& root,
                                                 const YamlLimits& limits = {});

}  // namespace mlbox::manifest
