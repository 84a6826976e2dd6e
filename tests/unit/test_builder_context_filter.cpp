#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "builder/context_filter.h"
#include "builder/ignore_patterns.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;
using namespace mlbox::builder;
namespace stdfs = std::filesystem;

namespace {

IgnorePatterns patterns(std::initializer_list<const char*> lines) {
  IgnorePatterns p;
  int n = 0;
  for (const char* l : lines) p.add(l, ".dockerignore:" + std::to_string(++n));
  return p;
}

void touch(const stdfs::path& root, const std::string& rel, const std::string& content = "x") {
  stdfs::create_directories((root / rel).parent_path());
  std::ofstream(root / rel) << content;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("ignore patterns: the examples from Docker's .dockerignore documentation") {
  auto p = patterns({"# comment", "*/temp*", "*/*/temp*", "temp?"});
  CHECK(p.matches("somedir/temporary.txt"));
  CHECK(p.matches("somedir/temp"));
  CHECK(p.matches("somedir/subdir/temporary.txt"));
  CHECK(p.matches("tempa"));
  CHECK_FALSE(p.matches("temp"));
  CHECK_FALSE(p.matches("temporary.txt"));  // * does not cross into the root level
  CHECK_FALSE(p.matches("a/b/c/temp.txt"));

  auto go = patterns({"**/*.go"});
  CHECK(go.matches("main.go"));
  CHECK(go.matches("a/b/c/x.go"));
  CHECK_FALSE(go.matches("a/b/go.mod"));

  auto md = patterns({"*.md", "!README.md"});
  CHECK(md.matches("CHANGES.md"));
  CHECK_FALSE(md.matches("README.md"));
  CHECK_FALSE(md.matches("docs/x.md"));  // *.md is anchored at the root

  auto secret_last = patterns({"*.md", "!README*.md", "README-secret.md"});
  CHECK(secret_last.matches("README-secret.md"));
  CHECK_FALSE(secret_last.matches("README-x.md"));
  auto reinclude_last = patterns({"*.md", "README-secret.md", "!README*.md"});
  CHECK_FALSE(reinclude_last.matches("README-secret.md"));
  CHECK(reinclude_last.matches("other.md"));
}

TEST_CASE("ignore patterns: cleaning, parents, ** and classes") {
  auto p =
      patterns({"/build", "./dist/", "data/**", "[a-c].txt", "logs/**/*.log", "\\*.txt", "x/../y"});
  CHECK(p.matches("build"));
  CHECK(p.matches("build/obj/a.o"));  // a matched parent covers its children
  CHECK(p.matches("dist/pkg.whl"));
  CHECK(p.matches("data/train/0.csv"));
  CHECK_FALSE(p.matches("data"));  // "data/**" matches what is inside
  CHECK(p.matches("b.txt"));
  CHECK_FALSE(p.matches("d.txt"));
  CHECK(p.matches("logs/run.log"));
  CHECK(p.matches("logs/a/b/run.log"));
  CHECK(p.matches("*.txt"));
  CHECK_FALSE(p.matches("a.txt.bak"));
  CHECK(p.matches("y"));
  CHECK(clean_path("a//b/./c/..") == "a/b");
  CHECK(clean_path("../x") == "../x");
  CHECK_THROWS_AS(patterns({"[abc"}), Error);
  CHECK_THROWS_AS(patterns({"!"}), Error);
  CHECK(patterns({"", "   ", "# only comments"}).empty());
}

TEST_CASE("build context: .dockerignore, .mlboxignore, manifest rules and re-includes") {
  fs::TempDir tmp;
  stdfs::path root = tmp.path();
  for (const char* f :
       {"train.py", "README.md", "NOTES.md", "src/model.py", "src/__pycache__/m.pyc",
        "data/big.csv", "data/keep/schema.json", "docs/a.md", "docs/keep.md", "checkpoints/1.pt",
        ".mlbox/oci/index.json", ".git/HEAD", "notebooks/x.ipynb"}) {
    touch(root, f);
  }
  stdfs::create_directories(root / "emptydir");
  stdfs::create_symlink("train.py", root / "latest.py");
  touch(root, ".dockerignore",
        "# docker\n**/__pycache__\n*.md\n!README.md\ndata\n!data/keep\ndocs\n!docs/keep.md\n");
  touch(root, ".mlboxignore", ".git\ncheckpoints/\n");
  ContextRules rules;
  rules.exclude = {"notebooks", "!notebooks/x.ipynb", "emptydir"};
  auto listing = list_build_context(root, rules);
  auto paths = listing.paths();
  CHECK(std::is_sorted(paths.begin(), paths.end()));
  CHECK(has(paths, "train.py"));
  CHECK(has(paths, "latest.py"));
  CHECK(has(paths, "README.md"));
  CHECK_FALSE(has(paths, "NOTES.md"));
  CHECK(has(paths, "src/model.py"));
  CHECK_FALSE(has(paths, "src/__pycache__"));
  CHECK_FALSE(has(paths, "src/__pycache__/m.pyc"));
  CHECK_FALSE(has(paths, "data/big.csv"));
  CHECK(has(paths, "data"));  // parent of a re-included child
  CHECK(has(paths, "data/keep/schema.json"));
  CHECK(has(paths, "docs/keep.md"));
  CHECK_FALSE(has(paths, "docs/a.md"));
  CHECK_FALSE(has(paths, "checkpoints/1.pt"));
  CHECK_FALSE(has(paths, ".git/HEAD"));
  CHECK_FALSE(has(paths, ".mlbox/oci/index.json"));  // never in the context
  CHECK(has(paths, "notebooks/x.ipynb"));            // manifest rules come last and win
  CHECK_FALSE(has(paths, "emptydir"));
  CHECK(has(paths, ".dockerignore"));
  CHECK(has(listing.files(), "latest.py"));
  CHECK_FALSE(has(listing.files(), "src"));

  ContextRules only;
  only.include = {"src", "train.py"};
  auto inc = list_build_context(root, only).paths();
  CHECK(inc == std::vector<std::string>{"src", "src/model.py", "train.py"});
}

TEST_CASE("build context: special files are refused with a hint, bad patterns name their line") {
  fs::TempDir tmp;
  touch(tmp.path(), "a.py");
  REQUIRE(::mkfifo((tmp.path() / "pipe").c_str(), 0644) == 0);
  try {
    list_build_context(tmp.path(), {});
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("pipe") != std::string::npos);
    CHECK(e.hint().find(".mlboxignore") != std::string::npos);
  }
  ContextRules rules;
  rules.exclude = {"pipe"};
  CHECK(list_build_context(tmp.path(), rules).paths() == std::vector<std::string>{"a.py"});
  touch(tmp.path(), ".mlboxignore", "ok\n[broken\n");
  try {
    list_build_context(tmp.path(), rules);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find(".mlboxignore:2") != std::string::npos);
    CHECK(e.kind() == ErrorKind::kConfig);
  }
}
