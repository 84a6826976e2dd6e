#include <doctest/doctest.h>

#include <set>
#include <string>

#include "builder/deps_layers.h"

using namespace mlbox;
using namespace mlbox::builder;

namespace {

freeze::Lock lock_of(int n) {
  freeze::Lock lock;
  for (int i = 0; i < n; ++i) {
    freeze::LockedPackage p;
    p.name = "pkg" + std::to_string(1000 + i);
    p.version = "1.0";
    p.sha256 = {std::string(64, static_cast<char>('a' + i % 6))};
    lock.packages.push_back(p);
  }
  return lock;
}

std::string key(const freeze::Lock& lock, const std::string& name) {
  for (const auto& g : group_locked_packages(lock)) {
    for (size_t i : g.packages) {
      if (lock.packages[i].name == name) {
        return deps_layer_key(lock, g, "manylinux2014_x86_64", "3.11", "gzip-6:0");
      }
    }
  }
  FAIL("no group holds " << name);
  return "";
}

}  // namespace

TEST_CASE("deps layers: one per package while the lock is small") {
  auto lock = lock_of(5);
  auto groups = group_locked_packages(lock);
  REQUIRE(groups.size() == 5);
  CHECK(groups[2].name == "pkg1002");
  CHECK(groups[2].packages == std::vector<size_t>{2});
}

TEST_CASE("deps layers: a package's key depends on its pin, hashes and target only") {
  auto lock = lock_of(5);
  std::string k = key(lock, "pkg1003");
  auto bigger = lock;
  freeze::LockedPackage extra;
  extra.name = "aaa-new";
  extra.version = "0.1";
  extra.sha256 = {std::string(64, 'f')};
  bigger.packages.insert(bigger.packages.begin(), extra);  // every index moves
  bigger.header.inputs_digest = "sha256:other";            // the lock's digest moves too
  CHECK(key(bigger, "pkg1003") == k);
  auto bumped = lock;
  bumped.packages[3].version = "1.1";
  CHECK(key(bumped, "pkg1003") != k);
  CHECK(key(bumped, "pkg1002") == key(lock, "pkg1002"));
  auto rehashed = lock;
  rehashed.packages[3].sha256 = {std::string(64, '0')};
  CHECK(key(rehashed, "pkg1003") != k);
  auto reordered = lock;
  reordered.packages[3].sha256 = {std::string(64, '1'), std::string(64, '2')};
  auto reordered2 = reordered;
  std::swap(reordered2.packages[3].sha256[0], reordered2.packages[3].sha256[1]);
  CHECK(key(reordered, "pkg1003") == key(reordered2, "pkg1003"));
  auto g = group_locked_packages(lock)[3];
  CHECK(deps_layer_key(lock, g, "manylinux2014_x86_64", "3.12", "gzip-6:0") != k);
  CHECK(deps_layer_key(lock, g, "manylinux2014_aarch64", "3.11", "gzip-6:0") != k);
  CHECK(deps_layer_key(lock, g, "manylinux2014_x86_64", "3.11", "zstd-3:0") != k);
}

TEST_CASE("deps layers: a large lock is grouped by name hash; one change moves one group") {
  auto lock = lock_of(200);
  auto groups = group_locked_packages(lock);
  CHECK(groups.size() <= kMaxDepsLayers);
  CHECK(groups.size() > kMaxDepsLayers / 2);
  std::set<size_t> seen;
  for (const auto& g : groups) {
    CHECK(g.name.rfind("group-", 0) == 0);
    for (size_t i : g.packages) CHECK(seen.insert(i).second);
  }
  CHECK(seen.size() == 200);
  // Adding a package changes the key of its own group only.
  auto more = lock;
  freeze::LockedPackage extra;
  extra.name = "zzz-new";
  extra.version = "0.1";
  extra.sha256 = {std::string(64, 'f')};
  more.packages.push_back(extra);
  auto after = group_locked_packages(more);
  std::set<std::string> before_keys, after_keys;
  for (const auto& g : groups) before_keys.insert(deps_layer_key(lock, g, "p", "3.11", "s"));
  for (const auto& g : after) after_keys.insert(deps_layer_key(more, g, "p", "3.11", "s"));
  size_t changed = 0;
  for (const auto& k : after_keys) changed += !before_keys.count(k);
  CHECK(changed == 1);
}
