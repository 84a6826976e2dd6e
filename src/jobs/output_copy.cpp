#include "jobs/output_copy.h"

#include "util/error.h"

namespace mlbox::jobs {

namespace stdfs = std::filesystem;

std::vector<stdfs::path> copy_output_tree(const stdfs::path& src, const stdfs::path& dest) {
  if (!stdfs::is_directory(src)) {
    throw Error(ErrorKind::kConfig, "the outputs are gone (" + src.string() + ")");
  }
  stdfs::path tmp = dest;
  tmp += ".partial";
  std::error_code ec;
  stdfs::remove_all(tmp, ec);
  stdfs::create_directories(tmp);
  std::vector<stdfs::path> rels;
  for (auto it = stdfs::recursive_directory_iterator(src);
       it != stdfs::recursive_directory_iterator(); ++it) {
    stdfs::path rel = stdfs::relative(it->path(), src);
    if (it->is_directory() && !it->is_symlink()) {
      stdfs::create_directories(tmp / rel);
    } else if (it->is_symlink()) {
      stdfs::copy_symlink(it->path(), tmp / rel);
    } else if (it->is_regular_file()) {
      stdfs::copy_file(it->path(), tmp / rel, stdfs::copy_options::overwrite_existing);
      rels.push_back(rel);
    }
  }
  stdfs::remove_all(dest, ec);
  if (dest.has_parent_path()) stdfs::create_directories(dest.parent_path());
  stdfs::rename(tmp, dest);
  std::vector<stdfs::path> files;
  for (const auto& rel : rels) files.push_back(dest / rel);
  return files;
}

std::uintmax_t total_size(const std::vector<stdfs::path>& files) {
  std::uintmax_t bytes = 0;
  for (const auto& f : files) {
    std::error_code ec;
    auto n = stdfs::file_size(f, ec);
    if (!ec) bytes += n;
  }
  return bytes;
}

}  // namespace mlbox::jobs
