#include <doctest/doctest.h>

#include "builder/entry_command_check.h"

using namespace mlbox::builder;

namespace {

const std::set<std::string> kImage = {"usr",        "usr/bin",           "usr/bin/python3",
                                      "usr/bin/sh", "workspace",         "workspace/train.py",
                                      "opt/mlbox",  "opt/mlbox/bin/run", "workspace/src/x.py"};

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
