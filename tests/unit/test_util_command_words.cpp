#include <doctest/doctest.h>

#include "core/error_json.h"
#include "util/command_words.h"

using namespace mlbox;

TEST_CASE("the command word is the first word that is not a global option") {
  std::vector<std::string> with_value = {"-C", "--project-dir"};
  auto w = scan_command_words({"-C", "proj", "--json", "sumbit", "--target", "x"}, with_value);
  CHECK(w.command.value() == "sumbit");
  CHECK(w.json);
  w = scan_command_words({"-q", "build"}, with_value);
  CHECK(w.command.value() == "build");
  CHECK_FALSE(w.json);
  w = scan_command_words({}, with_value);
  CHECK_FALSE(w.command.has_value());
  // --json after the command counts; after "--" it belongs to the user's command.
  CHECK(scan_command_words({"status", "--json"}, with_value).json);
  CHECK_FALSE(scan_command_words({"submit", "--", "python", "x.py", "--json"}, with_value).json);
}

TEST_CASE("counted nouns: 1 package, 2 packages, 0 files") {
  CHECK(count_of(1, "package") == "1 package");
  CHECK(count_of(2, "package") == "2 packages");
  CHECK(count_of(0, "file") == "0 files");
  CHECK(count_of(1, "entry", "entries") == "1 entry");
  CHECK(count_of(3, "entry", "entries") == "3 entries");
}

TEST_CASE("a failing command's JSON: one object with kind, message and hint") {
  auto j = error_json(ErrorKind::kAuth, "no AWS credentials", "run aws configure");
  CHECK(j.size() == 1);
  CHECK(j["error"]["kind"] == "auth");
  CHECK(j["error"]["message"] == "no AWS credentials");
  CHECK(j["error"]["hint"] == "run aws configure");
}
