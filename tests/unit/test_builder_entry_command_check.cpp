#include <doctest/doctest.h>

#include "builder/entry_command_check.h"

using namespace mlbox::builder;

namespace {

const ImageFiles kImage = {
    {"usr", "usr/bin", "usr/bin/python3", "usr/bin/sh", "workspace", "workspace/train.py",
     "opt/mlbox", "opt/mlbox/bin/run", "workspace/src/x.py"},
    {}};

}  // namespace

TEST_CASE("the entry command starts: program on PATH, script in the code layer") {
  CHECK_FALSE(
      check_entry_command(kImage, {"python3", "train.py", "--epochs", "3"}, "", "/workspace"));
  CHECK_FALSE(check_entry_command(kImage, {"python3", "-u", "src/x.py"}, "", "/workspace"));
  CHECK_FALSE(check_entry_command(kImage, {"python3", "-m", "pkg.train"}, "", "/workspace"));
  CHECK_FALSE(check_entry_command(kImage, {"/usr/bin/sh", "-c", "echo hi"}, "", "/workspace"));
  CHECK_FALSE(check_entry_command(kImage, {"run"}, "/opt/mlbox/bin:/usr/bin", "/workspace"));
  CHECK_FALSE(check_entry_command(kImage, {}, "", "/workspace"));
}

TEST_CASE("a program the image lacks is named, with the near ones it has") {
  auto p = check_entry_command(kImage, {"python", "train.py"}, "", "/workspace");
  REQUIRE(p);
  CHECK(p->what.find("'python' is not on the PATH") != std::string::npos);
  CHECK(p->hint.find("/usr/bin/python3") != std::string::npos);
  p = check_entry_command(kImage, {"torchrun", "train.py"}, "/usr/bin", "/workspace");
  REQUIRE(p);
  CHECK(p->what.find("PATH /usr/bin") != std::string::npos);
  CHECK(p->hint.find("image.base") != std::string::npos);
}

TEST_CASE("a script missing from the code layer is named with where it was looked for") {
  auto p = check_entry_command(kImage, {"python3", "trian.py"}, "", "/workspace");
  REQUIRE(p);
  CHECK(p->what.find("names trian.py, which is not in the image (/workspace/trian.py)") !=
        std::string::npos);
  CHECK(p->hint.find(".mlboxignore") != std::string::npos);
}

TEST_CASE("links are followed: merged /usr, python -> python3.11, relative and absolute") {
  ImageFiles debian;
  debian.paths = {"bin",
                  "usr",
                  "usr/bin",
                  "usr/bin/dash",
                  "usr/bin/sh",
                  "usr/bin/python3",
                  "usr/bin/python3.11",
                  "usr/local",
                  "usr/local/bin",
                  "usr/local/bin/py",
                  "workspace",
                  "workspace/train.py"};
  debian.links = {{"bin", "usr/bin"},
                  {"usr/bin/sh", "dash"},
                  {"usr/bin/python3", "python3.11"},
                  {"usr/local/bin/py", "/usr/bin/python3"}};
  CHECK(debian.exists("bin/sh"));
  CHECK(debian.exists("/bin/python3"));
  CHECK(debian.exists("usr/local/bin/py"));
  CHECK(debian.exists("usr/local/bin/../bin/py"));
  CHECK_FALSE(debian.exists("bin/bash"));
  CHECK_FALSE(check_entry_command(debian, {"/bin/sh", "train.py"}, "", "/workspace"));
  CHECK_FALSE(check_entry_command(debian, {"py", "train.py"}, "", "/workspace"));
  // A dangling link does not count; nor does a cycle.
  debian.links["usr/bin/python"] = "python2";
  debian.paths.insert("usr/bin/python");
  CHECK_FALSE(debian.exists("usr/bin/python"));
  debian.links["usr/bin/loop"] = "loop";
  debian.paths.insert("usr/bin/loop");
  CHECK_FALSE(debian.exists("usr/bin/loop"));
}
