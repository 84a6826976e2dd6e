#include <doctest/doctest.h>

#include "jobs/output_copy.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;
namespace stdfs = std::filesystem;

namespace {

stdfs::path job_outputs(const stdfs::path& root) {
  stdfs::path src = root / "out";
  stdfs::create_directories(src / "model");
  fs::write_file_atomic(src / "model" / "model.txt", "weights");
  fs::write_file_atomic(src / "history.json", "{}");
  stdfs::create_symlink("model/model.txt", src / "latest");
  return src;
}

}  // namespace

TEST_CASE("copy_output_tree: files, folders and inside links; sizes summed") {
  fs::TempDir dir;
  stdfs::path dest = dir.path() / "fetched";
  auto files = jobs::copy_output_tree(job_outputs(dir.path()), dest);
  CHECK(files.size() == 2);
  CHECK(fs::read_file(dest / "model" / "model.txt") == "weights");
  CHECK(stdfs::is_symlink(dest / "latest"));
  CHECK(stdfs::read_symlink(dest / "latest") == "model/model.txt");
  CHECK(jobs::total_size(files) == 9);
  CHECK_THROWS_AS(jobs::copy_output_tree(dir.path() / "missing", dest), Error);
}

TEST_CASE("copy_output_tree merges: what the folder held and the copy does not write stays") {
  fs::TempDir dir;
  stdfs::path dest = dir.path() / "fetched";
  stdfs::create_directories(dest / "model");
  fs::write_file_atomic(dest / "notes.txt", "mine");
  fs::write_file_atomic(dest / "model" / "model.txt", "old");
  jobs::copy_output_tree(job_outputs(dir.path()), dest);
  CHECK(fs::read_file(dest / "notes.txt") == "mine");
  CHECK(fs::read_file(dest / "model" / "model.txt") == "weights");
  CHECK_FALSE(stdfs::exists(dir.path() / "fetched.partial"));
}

TEST_CASE("copy_output_tree refuses links that resolve outside, before writing anything") {
  fs::TempDir dir;
  stdfs::path src = job_outputs(dir.path());
  stdfs::create_directories(dir.path() / "host");
  SUBCASE("absolute") {
    stdfs::create_directory_symlink(dir.path() / "host", src / "evil");
  }
  SUBCASE("climbing") {
    stdfs::create_directory_symlink("../../host", src / "model" / "evil");
  }
  stdfs::path dest = dir.path() / "fetched";
  CHECK_THROWS_AS(jobs::copy_output_tree(src, dest), Error);
  CHECK((!stdfs::exists(dest) || stdfs::is_empty(dest)));
  CHECK(stdfs::is_empty(dir.path() / "host"));
}

TEST_CASE("copy_output_tree does not write through a link already in the folder") {
  fs::TempDir dir;
  stdfs::path dest = dir.path() / "fetched";
  stdfs::create_directories(dest);
  stdfs::create_directories(dir.path() / "host");
  stdfs::create_directory_symlink(dir.path() / "host", dest / "model");
  CHECK_THROWS_AS(jobs::copy_output_tree(job_outputs(dir.path()), dest), Error);
  CHECK(stdfs::is_empty(dir.path() / "host"));
}
