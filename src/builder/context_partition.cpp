#include "builder/context_partition.h"

#include <algorithm>
#include <array>
#include <bit>
#include <map>
#include <optional>
#include <string_view>

namespace mlbox::builder {

bool is_vendored_name(const std::string& name) {
  static constexpr std::array<std::string_view, 14> kNames = {
      "site-packages", "dist-packages", "node_modules", "vendor",     "vendored",
      "_vendor",       "third_party",   "third-party",  "thirdparty", "deps",
      ".venv",         "venv",          "external",     "extern"};
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

namespace {

struct Node {
  std::string path;  // "" for the root
  int parent = -1;
  std::map<std::string, int> children;  // by name: a stable order
  bool is_dir = true;                   // parents that were not listed are directories
  bool vendored = false;                // this directory or one above it has a vendored name
  uint64_t bytes = 0;                   // file bytes in the subtree
};

// A stable layer while the partition is being made.
struct Candidate {
  int node = -1;             // whole subtree: the node; a rest: the split directory
  bool rest = false;         // the rest of `node` (members), not its whole subtree
  std::vector<int> members;  // a rest's nodes
  uint64_t bytes = 0;
  bool leaf = false;  // not to be split (rest, no heavy children, or the cap)
  std::string path;
};

int size_class(uint64_t bytes) {
  return bytes == 0 ? -1 : std::bit_width(bytes) - 1;
}

class Partitioner {
 public:
  Partitioner(const std::vector<TreeEntry>& entries, const PartitionLimits& limits)
      : entries_(entries), limits_(limits) {
    nodes_.emplace_back();
    node_of_entry_.reserve(entries.size());
    for (const auto& e : entries) node_of_entry_.push_back(add(e));
  }

  Partition run() {
    std::vector<Candidate> layers;
    if (auto first = split(0, 0, true)) layers = std::move(*first);
    for (;;) {
      // Largest first: size class (stable under small edits), then path.
      Candidate* best = nullptr;
      for (auto& c : layers) {
        if (c.leaf) continue;
        if (!best || size_class(c.bytes) > size_class(best->bytes) ||
            (size_class(c.bytes) == size_class(best->bytes) && c.path < best->path)) {
          best = &c;
        }
      }
      if (!best) break;
      auto parts = split(best->node, layers.size() - 1, false);
      if (!parts) {
        best->leaf = true;
        continue;
      }
      size_t at = static_cast<size_t>(best - layers.data());
      layers.erase(layers.begin() + static_cast<std::ptrdiff_t>(at));
      for (auto& p : *parts) layers.push_back(std::move(p));
    }
    std::sort(layers.begin(), layers.end(),
              [](const Candidate& a, const Candidate& b) { return a.path < b.path; });
    return assign(layers);
  }

 private:
  const std::vector<TreeEntry>& entries_;
  PartitionLimits limits_;
  std::vector<Node> nodes_;
  std::vector<int> node_of_entry_;

  int add(const TreeEntry& e) {
    int at = 0;
    size_t start = 0;
    while (start <= e.rel.size()) {
      size_t slash = e.rel.find('/', start);
      if (slash == std::string::npos) slash = e.rel.size();
      std::string name = e.rel.substr(start, slash - start);
      start = slash + 1;
      if (name.empty() || name == ".") continue;
      auto it = nodes_[at].children.find(name);
      if (it == nodes_[at].children.end()) {
        Node n;
        n.path = nodes_[at].path.empty() ? name : nodes_[at].path + "/" + name;
        n.parent = at;
        n.vendored = nodes_[at].vendored || is_vendored_name(name);
        nodes_.push_back(std::move(n));
        int id = static_cast<int>(nodes_.size()) - 1;
        nodes_[at].children.emplace(name, id);
        at = id;
      } else {
        at = it->second;
      }
    }
    if (at != 0) {
      nodes_[at].is_dir = e.is_dir;
      for (int n = at; n >= 0; n = nodes_[n].parent) nodes_[n].bytes += e.bytes;
    }
    return at;
  }

  bool heavy(int n) const {
    return nodes_[n].is_dir && nodes_[n].bytes >= limits_.stable_tree_bytes;
  }

  // The layers that replace the one at `top` (the root: the first ones), with `others`
  // stable layers beside it; nullopt when it cannot be split within the cap.
  std::optional<std::vector<Candidate>> split(int top, size_t others, bool is_root) {
    int at = top;
    std::vector<int> heavies, loose;
    for (;;) {
      heavies.clear();
      loose.clear();
      for (const auto& [name, child] : nodes_[at].children) {
        (heavy(child) ? heavies : loose).push_back(child);
      }
      if (heavies.size() == 1 && loose.empty()) {
        at = heavies.front();  // a directory that only holds a directory
        continue;
      }
      break;
    }
    if (heavies.empty()) return std::nullopt;
    std::stable_sort(heavies.begin(), heavies.end(), [&](int a, int b) {
      return size_class(nodes_[a].bytes) > size_class(nodes_[b].bytes);
    });
    uint64_t loose_bytes = 0;
    for (int n : loose) loose_bytes += nodes_[n].bytes;
    const Node& dir = nodes_[at];
    // The root's own files are the project's code; a vendored tree's are not, however few.
    bool loose_stable =
        !loose.empty() && (dir.vendored || (!is_root && loose_bytes >= limits_.stable_tree_bytes));
    size_t room = limits_.max_stable_layers - std::min(limits_.max_stable_layers, others);
    size_t take = std::min(heavies.size(), room);
    while (take > 0 && take + ((loose_stable || take < heavies.size()) ? 1 : 0) > room) --take;
    if (take == 0) return std::nullopt;

    std::vector<Candidate> out;
    for (size_t i = 0; i < take; ++i) {
      Candidate c;
      c.node = heavies[i];
      c.bytes = nodes_[c.node].bytes;
      c.path = nodes_[c.node].path;
      out.push_back(std::move(c));
    }
    Candidate rest;
    rest.node = at;
    rest.rest = true;
    rest.leaf = true;
    rest.path = dir.path.empty() ? "*" : dir.path + "/*";
    for (size_t i = take; i < heavies.size(); ++i) rest.members.push_back(heavies[i]);
    if (loose_stable) rest.members.insert(rest.members.end(), loose.begin(), loose.end());
    for (int n : rest.members) rest.bytes += nodes_[n].bytes;
    // A rest layer of a few files costs a layer and buys nothing: the directory stays whole.
    if (!rest.members.empty() && rest.bytes < limits_.min_rest_bytes) return std::nullopt;
    std::sort(rest.members.begin(), rest.members.end());
    if (!rest.members.empty()) out.push_back(std::move(rest));
    return out;
  }

  Partition assign(const std::vector<Candidate>& layers) const {
    std::vector<int> owner(nodes_.size(), -1);
    for (size_t i = 0; i < layers.size(); ++i) {
      const auto& c = layers[i];
      if (c.rest) {
        for (int n : c.members) owner[n] = static_cast<int>(i);
      } else {
        owner[c.node] = static_cast<int>(i);
      }
    }
    Partition p;
    p.stable.resize(layers.size());
    for (size_t i = 0; i < layers.size(); ++i) p.stable[i].path = layers[i].path;
    for (size_t i = 0; i < entries_.size(); ++i) {
      int layer = -1;
      for (int n = node_of_entry_[i]; n > 0 && layer < 0; n = nodes_[n].parent) layer = owner[n];
      const auto& e = entries_[i];
      if (layer >= 0) {
        p.stable[layer].entries.push_back(i);
        p.stable[layer].bytes += e.bytes;
      } else if (!e.is_dir && e.bytes >= limits_.large_file_bytes) {
        p.assets.push_back(i);
      } else {
        p.code.push_back(i);
      }
    }
    // A layer left without entries (only implicit directories) is dropped.
    std::erase_if(p.stable, [](const StableLayer& l) { return l.entries.empty(); });
    return p;
  }
};

}  // namespace

Partition partition_context(const std::vector<TreeEntry>& entries, const PartitionLimits& limits) {
  return Partitioner(entries, limits).run();
}

}  // namespace mlbox::builder
