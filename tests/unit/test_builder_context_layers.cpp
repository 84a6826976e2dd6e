#include <doctest/doctest.h>
#include <unistd.h>

#include <string>

#include "builder/context_layers.h"
#include "util/fs.h"

using namespace mlbox;
using namespace mlbox::builder;

namespace {

void write(const std::filesystem::path& p, size_t bytes) {
  std::filesystem::create_directories(p.parent_path());
  fs::write_file_atomic(p, std::string(bytes, 'x'));
}

std::vector<std::string> roles(const std::vector<ContextPart>& parts) {
  std::vector<std::string> out;
  for (const auto& p : parts) out.push_back(p.dir.empty() ? p.role : p.role + ":" + p.dir);
  return out;
}

}  // namespace

TEST_CASE("context layers: stable subtrees and large files below the code") {
  fs::TempDir dir;
  const auto& d = dir.path();
  for (int i = 0; i < 6; ++i) write(d / "deps" / "lib" / ("f" + std::to_string(i)), 900 * 1024);
  write(d / "deps" / "big.so", 3 << 20);  // large: assets, not vendor
  write(d / "src" / "train.py", 100);     // small directory: code
  write(d / "weights.bin", 2 << 20);      // large, top level: assets
  write(d / "train.py", 10);
  std::vector<std::string> paths = {"deps",         "deps/big.so", "deps/lib",   "src",
                                    "src/train.py", "train.py",    "weights.bin"};
  for (int i = 0; i < 6; ++i) paths.push_back("deps/lib/f" + std::to_string(i));

  auto parts = split_context(d, paths);
  // deps (vendored) is split: its heavy lib/ and the rest of it (big.so) are layers of their
  // own; the large file outside them is an asset.
  CHECK(roles(parts) ==
        std::vector<std::string>{"vendor:deps/*", "vendor:deps/lib", "assets", "code"});
  CHECK(parts[0].paths == std::vector<std::string>{"deps/big.so"});
  CHECK(parts[1].paths.size() == 7);  // deps/lib and six files
  CHECK(parts[1].bytes == 6 * 900 * 1024);
  CHECK(parts[2].paths == std::vector<std::string>{"weights.bin"});
  CHECK(parts[3].paths == std::vector<std::string>{"deps", "src", "src/train.py", "train.py"});
  CHECK_FALSE(parts[3].stat_key.empty());

  SUBCASE("the keys follow the files and ignore directory mtimes") {
    auto again = split_context(d, paths);
    CHECK(again[0].stat_key == parts[0].stat_key);
    CHECK(again[1].stat_key == parts[1].stat_key);
    CHECK(again[2].stat_key == parts[2].stat_key);
    write(d / "deps" / "lib" / "tmp", 1);
    std::filesystem::remove(d / "deps" / "lib" / "tmp");  // touches the directory's mtime only
    CHECK(split_context(d, paths)[1].stat_key == parts[1].stat_key);
    write(d / "deps" / "lib" / "f3", 900 * 1024);  // same size, new file
    auto edited = split_context(d, paths);
    CHECK(edited[1].stat_key != parts[1].stat_key);
    CHECK(edited[0].stat_key == parts[0].stat_key);
    CHECK(edited[2].stat_key == parts[2].stat_key);
    CHECK(edited[3].stat_key == parts[3].stat_key);
    write(d / "src" / "train.py", 101);  // a code edit moves the code part's key only
    auto coded = split_context(d, paths);
    CHECK(coded[3].stat_key != parts[3].stat_key);
    CHECK(coded[1].stat_key == edited[1].stat_key);
  }

  SUBCASE("below the vendor threshold a directory stays in the code layer") {
    std::vector<std::string> few = {"deps", "deps/lib", "deps/lib/f0", "train.py"};
    CHECK(roles(split_context(d, few)) == std::vector<std::string>{"code"});
    // The same tree in another folder gives the same parts.
    fs::TempDir other;
    for (const auto& rel : paths) {
      if (std::filesystem::is_directory(d / rel)) {
        std::filesystem::create_directories(other.path() / rel);
      } else {
        write(other.path() / rel, std::filesystem::file_size(d / rel));
      }
    }
    auto elsewhere = split_context(other.path(), paths);
    REQUIRE(elsewhere.size() == parts.size());
    for (size_t i = 0; i < parts.size(); ++i) CHECK(elsewhere[i].paths == parts[i].paths);
  }

  SUBCASE("an empty context still has a code part") {
    CHECK(roles(split_context(d, {})) == std::vector<std::string>{"code"});
  }
}
