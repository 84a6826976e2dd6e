#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "builder/context_partition.h"

using namespace mlbox::builder;

namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * 1024;

// A listing as the context gives it: directories first (implicit ones added), then files.
struct Tree {
  std::vector<TreeEntry> entries;
  void dir(const std::string& rel) { entries.push_back({rel, true, 0}); }
  void file(const std::string& rel, uint64_t bytes) { entries.push_back({rel, false, bytes}); }
  // `count` files of `each` bytes in `rel`.
  void files(const std::string& rel, int count, uint64_t each) {
    dir(rel);
    for (int i = 0; i < count; ++i) file(rel + "/f" + std::to_string(i) + ".py", each);
  }
};

std::vector<std::string> paths(const Partition& p) {
  std::vector<std::string> out;
  for (const auto& l : p.stable) out.push_back(l.path);
  return out;
}

std::vector<std::string> rels(const Tree& t, const std::vector<size_t>& idx) {
  std::vector<std::string> out;
  for (size_t i : idx) out.push_back(t.entries[i].rel);
  return out;
}

// Which part holds `rel`: a stable layer's path, "assets" or "code".
std::string holder(const Tree& t, const Partition& p, const std::string& rel) {
  size_t i = 0;
  while (i < t.entries.size() && t.entries[i].rel != rel) ++i;
  REQUIRE_MESSAGE(i < t.entries.size(), rel << " is not listed");
  for (const auto& l : p.stable) {
    if (std::count(l.entries.begin(), l.entries.end(), i)) return l.path;
  }
  if (std::count(p.assets.begin(), p.assets.end(), i)) return "assets";
  REQUIRE(std::count(p.code.begin(), p.code.end(), i) == 1);
  return "code";
}

// Every entry lands in exactly one part.
void check_cover(const Tree& t, const Partition& p) {
  std::vector<int> seen(t.entries.size(), 0);
  for (const auto& l : p.stable) {
    for (size_t i : l.entries) ++seen[i];
  }
  for (size_t i : p.assets) ++seen[i];
  for (size_t i : p.code) ++seen[i];
  CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
}

}  // namespace

TEST_CASE("partition: a vendored tree at the top level is its own layer, code stays code") {
  Tree t;
  t.dir("deps");
  t.files("deps/lib", 8, 900 * kKiB);
  t.files("src", 40, 200);
  t.file("train.py", 30);
  auto p = partition_context(t.entries);
  check_cover(t, p);
  CHECK(paths(p) == std::vector<std::string>{"deps"});
  CHECK(holder(t, p, "src/f3.py") == "code");
  CHECK(holder(t, p, "deps/lib/f3.py") == "deps");
  CHECK(holder(t, p, "deps") == "deps");
}

TEST_CASE("partition: a vendored tree inside src/ is cut out of it; src's code stays code") {
  Tree t;
  t.files("src", 30, 2 * kKiB);
  t.files("src/deps/python3/lib/site-packages/torch/lib", 6, 3 * kMiB);
  t.files("src/deps/python3/lib/site-packages/numpy", 50, 200 * kKiB);
  t.files("src/deps/python3/lib/site-packages/six", 10, 150 * kKiB);
  t.file("src/deps/python3/lib/site-packages/torch/__init__.py", 20);
  t.file("src/deps/python3/lib/site-packages/typing_extensions.py", 90 * kKiB);
  auto p = partition_context(t.entries);
  check_cover(t, p);
  const std::string sp = "src/deps/python3/lib/site-packages";
  CHECK(paths(p) == std::vector<std::string>{sp + "/*", sp + "/numpy", sp + "/torch"});
  CHECK(holder(t, p, "src/f1.py") == "code");
  // Small packages of a vendored tree stay out of the code layer, in the tree's rest layer.
  CHECK(holder(t, p, sp + "/six/f0.py") == sp + "/*");
  CHECK(holder(t, p, sp + "/typing_extensions.py") == sp + "/*");
  CHECK(holder(t, p, sp + "/torch/lib/f2.py") == sp + "/torch");
  // torch/ is not split into lib/ and a 20-byte rest.
  CHECK(holder(t, p, sp + "/torch/__init__.py") == sp + "/torch");

  SUBCASE("a vendored tree whose rest is too small for a layer stays whole") {
    Tree u;
    u.files("src", 30, 2 * kKiB);
    u.files("src/deps/site-packages/torch", 6, 3 * kMiB);
    u.files("src/deps/site-packages/numpy", 50, 200 * kKiB);
    u.file("src/deps/site-packages/six.py", 30 * kKiB);
    auto q = partition_context(u.entries);
    check_cover(u, q);
    CHECK(paths(q) == std::vector<std::string>{"src/deps"});
    CHECK(holder(u, q, "src/f1.py") == "code");
  }
}

TEST_CASE("partition: many small packages at depth 3+ form one layer below their heavy parent") {
  Tree t;
  for (int i = 0; i < 60; ++i) t.files("a/b/c/pkg" + std::to_string(100 + i), 4, 40 * kKiB);
  t.files("code", 10, kKiB);
  t.file("a/README", 100);
  auto p = partition_context(t.entries);
  check_cover(t, p);
  // a holds b and a small README, which falls to the code layer; b only holds c, whose
  // packages are all light: one layer, named after the top of the chain.
  CHECK(paths(p) == std::vector<std::string>{"a/b"});
  CHECK(holder(t, p, "a/b/c/pkg123/f1.py") == "a/b");
  CHECK(holder(t, p, "a/README") == "code");
  CHECK(holder(t, p, "code/f1.py") == "code");
}

TEST_CASE("partition: a light tree stays code; large files outside stable layers are assets") {
  Tree t;
  t.files("deps/lib", 3, 900 * kKiB);  // 2.7 MiB: below the threshold
  t.file("weights.bin", 2 * kMiB);
  t.file("train.py", 10);
  auto p = partition_context(t.entries);
  check_cover(t, p);
  CHECK(p.stable.empty());
  CHECK(rels(t, p.assets) == std::vector<std::string>{"weights.bin"});
  CHECK(holder(t, p, "deps/lib/f0.py") == "code");
  CHECK(partition_context({}).stable.empty());
}

TEST_CASE("partition: the layer count is capped; the smallest heavy trees share a rest layer") {
  Tree t;
  for (int i = 0; i < 30; ++i) {
    t.files("vendor/p" + std::to_string(10 + i), 3, (2 + i % 5) * kMiB);
  }
  t.files("src", 5, kKiB);
  PartitionLimits limits;
  limits.max_stable_layers = 8;
  auto p = partition_context(t.entries, limits);
  check_cover(t, p);
  CHECK(p.stable.size() == 8);
  CHECK(p.stable.back().path == "vendor/p39");  // 18 MiB: the largest size class
  CHECK(p.stable.front().path == "vendor/*");
  CHECK(holder(t, p, "src/f1.py") == "code");
  // With the default cap every package gets its own layer but the count still holds.
  auto wide = partition_context(t.entries);
  CHECK(wide.stable.size() == kMaxStableLayers);
}

TEST_CASE("partition: the same tree gives the same layers in any listing order") {
  Tree t;
  t.files("src", 10, kKiB);
  t.files("src/third_party/x/y", 20, 300 * kKiB);
  t.files("src/third_party/z", 20, 300 * kKiB);
  t.files("data/images", 10, 600 * kKiB);
  auto p = partition_context(t.entries);
  Tree shuffled = t;
  std::mt19937 rng(7);
  std::shuffle(shuffled.entries.begin(), shuffled.entries.end(), rng);
  auto q = partition_context(shuffled.entries);
  REQUIRE(paths(p) == paths(q));
  for (size_t i = 0; i < p.stable.size(); ++i) {
    auto a = rels(t, p.stable[i].entries), b = rels(shuffled, q.stable[i].entries);
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    CHECK(a == b);
  }
}

TEST_CASE(
    "partition: a one-file edit moves no file between layers unless it crosses a size class") {
  Tree t;
  t.files("src", 10, kKiB);
  t.files("src/deps/a", 10, 500 * kKiB);
  t.files("src/deps/b", 10, 700 * kKiB);
  auto before = partition_context(t.entries);
  for (auto& e : t.entries) {
    if (e.rel == "src/deps/a/f3.py") e.bytes += 100;
    if (e.rel == "src/f2.py") e.bytes += 5000;
  }
  auto after = partition_context(t.entries);
  CHECK(paths(before) == paths(after));
  for (size_t i = 0; i < before.stable.size(); ++i) {
    CHECK(before.stable[i].entries == after.stable[i].entries);
  }
  CHECK(paths(after) == std::vector<std::string>{"src/deps/a", "src/deps/b"});
}

TEST_CASE("partition: vendored names") {
  CHECK(is_vendored_name("site-packages"));
  CHECK(is_vendored_name("node_modules"));
  CHECK(is_vendored_name("deps"));
  CHECK_FALSE(is_vendored_name("src"));
  CHECK_FALSE(is_vendored_name("site"));
}
