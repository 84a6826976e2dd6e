#include "manifest/yaml_limits.h"

#include <fmt/format.h>

namespace mlbox::manifest {

namespace {

class LimitWalk {
 public:
  explicit LimitWalk(const YamlLimits& limits) : limits_(limits) {}

  // Returns false at the first limit exceeded (and records it).
  bool visit(const YAML::Node& n, int depth) {
    if (++nodes_ > limits_.max_nodes) {
      return stop(n, fmt::format("the YAML expands to more than {} nodes (aliases counted each "
                                 "time they are used)",
                                 limits_.max_nodes));
    }
    if (depth > limits_.max_depth)
      return stop(n, fmt::format("the YAML nests deeper than {} levels", limits_.max_depth));
    switch (n.Type()) {
      case YAML::NodeType::Scalar:
        bytes_ += n.Scalar().size();
        if (bytes_ > limits_.max_expanded_bytes) {
          return stop(n, fmt::format("the YAML expands to more than {} MiB of text (aliases "
                                     "counted each time they are used)",
                                     limits_.max_expanded_bytes >> 20));
        }
        return true;
      case YAML::NodeType::Sequence:
        for (const auto& item : n)
          if (!visit(item, depth + 1)) return false;
        return true;
      case YAML::NodeType::Map:
        for (auto it = n.begin(); it != n.end(); ++it) {
          if (!visit(it->first, depth + 1) || !visit(it->second, depth + 1)) return false;
        }
        return true;
      default:
        return true;
    }
  }

  std::optional<YamlLimitExceeded> result() const { return exceeded_; }

 private:
  bool stop(const YAML::Node& n, std::string what) {
    Mark mark;
    if (!n.Mark().is_null()) mark = {n.Mark().line + 1, n.Mark().column + 1};
    exceeded_ = YamlLimitExceeded{mark, std::move(what)};
    return false;
  }

  const YamlLimits& limits_;
  size_t nodes_ = 0;
  size_t bytes_ = 0;
  std::optional<YamlLimitExceeded> exceeded_;
};

}  // namespace

std::optional<YamlLimitExceeded> check_yaml_text(std::string_view text, const YamlLimits& limits) {
  if (text.size() <= limits.max_bytes) return std::nullopt;
  return YamlLimitExceeded{
      {},
      fmt::format("the file is {} bytes, more than the {} allowed", text.size(), limits.max_bytes)};
}

std::optional<YamlLimitExceeded> check_yaml_tree(const YAML::Node& root, const YamlLimits& limits) {
  LimitWalk walk(limits);
  walk.visit(root, 0);
  return walk.result();
}

}  // namespace mlbox::manifest
