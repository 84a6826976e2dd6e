// A YAML subtree as JSON (train.native): plain scalars typed like YAML 1.2's core schema
// (null, bool, int, float), quoted scalars kept as strings. Call it on a tree that passed
// check_yaml_limits: aliases are expanded.
#pragma once

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

namespace mlbox::manifest {

nlohmann::json yaml_to_json(const YAML::Node& n);

}  // namespace mlbox::manifest
