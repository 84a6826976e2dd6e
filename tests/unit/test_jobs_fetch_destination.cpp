#include <doctest/doctest.h>

#include <functional>

#include "jobs/fetch_destination.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;
namespace stdfs = std::filesystem;

namespace {

ErrorKind refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::kInternal;  // not refused
}

// Runs in `dir` and returns to where it was.
struct InFolder {
  stdfs::path old = stdfs::current_path();
  explicit InFolder(const stdfs::path& dir) { stdfs::current_path(dir); }
  ~InFolder() { stdfs::current_path(old); }
};

}  // namespace

TEST_CASE("fetch destination: new or empty folders; a non-empty one only with --force") {
  fs::TempDir dir;
  auto project = dir.path() / "proj";
  stdfs::create_directories(project);
  CHECK_NOTHROW(jobs::check_fetch_destination(dir.path() / "new", project, false));
  stdfs::create_directories(dir.path() / "empty");
  CHECK_NOTHROW(jobs::check_fetch_destination(dir.path() / "empty", project, false));
  stdfs::create_directories(dir.path() / "full");
  fs::write_file_atomic(dir.path() / "full" / "keep.txt", "mine");
  CHECK(refusal([&] { jobs::check_fetch_destination(dir.path() / "full", project, false); }) ==
        ErrorKind::kUsage);
  CHECK_NOTHROW(jobs::check_fetch_destination(dir.path() / "full", project, true));
  fs::write_file_atomic(dir.path() / "file", "x");
  CHECK(refusal([&] { jobs::check_fetch_destination(dir.path() / "file", project, true); }) ==
        ErrorKind::kUsage);
}

TEST_CASE("fetch destination: never '.', the project, or a folder holding it, even with --force") {
  fs::TempDir dir;
  auto project = dir.path() / "proj";
  stdfs::create_directories(project / "sub");
  InFolder here(project / "sub");
  CHECK(refusal([&] { jobs::check_fetch_destination(".", project, true); }) == ErrorKind::kUsage);
  CHECK(refusal([&] { jobs::check_fetch_destination(project, project, true); }) ==
        ErrorKind::kUsage);
  CHECK(refusal([&] { jobs::check_fetch_destination("../..", project, true); }) ==
        ErrorKind::kUsage);
  CHECK_NOTHROW(jobs::check_fetch_destination(project / "mlbox-output" / "j", project, false));
}

TEST_CASE("path_inside: relative paths below the folder only") {
  CHECK(jobs::path_inside("/d", "model/w.bin", "s3://b/j") == "/d/model/w.bin");
  for (const char* bad : {"", "/etc/passwd", "../x", "a/../../x", "."}) {
    CHECK(refusal([&] { jobs::path_inside("/d", bad, "s3://b/j"); }) == ErrorKind::kRemote);
  }
}
