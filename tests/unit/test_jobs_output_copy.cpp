#include <doctest/doctest.h>

#include "jobs/output_copy.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;
namespace stdfs = std::filesystem;

TEST_CASE("copy_output_tree: files, folders and links; no .partial left; sizes summed") {
  fs::TempDir dir;
  stdfs::path src = dir.path() / "out";
  stdfs::create_directories(src / "model");
  fs::write_file_atomic(src / "model" / "model.txt", "weights");
  fs::write_file_atomic(src / "history.json", "{}");
  stdfs::create_symlink("model/model.txt", src / "latest");
  stdfs::path dest = dir.path() / "fetched";

  auto files = jobs::copy_output_tree(src, dest);
  CHECK(files.size() == 2);
  CHECK(fs::read_file(dest / "model" / "model.txt") == "weights");
  CHECK(stdfs::is_symlink(dest / "latest"));
  CHECK(stdfs::read_symlink(dest / "latest") == "model/model.txt");
  CHECK_FALSE(stdfs::exists(dir.path() / "fetched.partial"));
  CHECK(jobs::total_size(files) == 9);

  CHECK_THROWS_AS(jobs::copy_output_tree(dir.path() / "missing", dest), Error);
}
