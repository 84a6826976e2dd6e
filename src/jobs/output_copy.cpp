#include "jobs/output_copy.h"

#include <algorithm>

#include "jobs/fetch_destination.h"
#include "util/error.h"

namespace mlbox::jobs {

namespace stdfs = std::filesystem;

namespace {

enum class Kind { kDir, kFile, kLink };

struct Entry {
  Kind kind;
  stdfs::path from;
  stdfs::path to;
};

// A link's target, resolved from the link's folder, stays below the tree's root.
bool link_stays_inside(const stdfs::path& rel, const stdfs::path& target) {
  if (target.empty() || target.is_absolute()) return false;
  stdfs::path resolved = (rel.parent_path() / target).lexically_normal();
  return resolved.empty() || *resolved.begin() != "..";
}

}  // namespace

std::vector<stdfs::path> copy_output_tree(const stdfs::path& src, const stdfs::path& dest,
                                          const std::vector<std::string>& skip) {
  if (!stdfs::is_directory(src)) {
    throw Error(ErrorKind::kConfig, "the outputs are gone (" + src.string() + ")");
  }
  // 1. Every entry checked; nothing written yet.
  std::vector<Entry> entries;
  for (auto it = stdfs::recursive_directory_iterator(src);
       it != stdfs::recursive_directory_iterator(); ++it) {
    const stdfs::path rel = it->path().lexically_relative(src);  // no link is followed
    if (it.depth() == 0 &&
        std::find(skip.begin(), skip.end(), rel.filename().string()) != skip.end()) {
      it.disable_recursion_pending();
      continue;
    }
    stdfs::path to = path_inside(dest, rel.string(), src.string());
    if (it->is_symlink()) {
      stdfs::path target = stdfs::read_symlink(it->path());
      if (!link_stays_inside(rel, target)) {
        throw Error(ErrorKind::kRemote,
                    "the output " + rel.string() + " is a link to " + target.string() +
                        ", outside the job's outputs",
                    "nothing was written; a job's links must point inside its output folder");
      }
      entries.push_back({Kind::kLink, it->path(), to});
    } else if (it->is_directory()) {
      entries.push_back({Kind::kDir, it->path(), to});
    } else if (it->is_regular_file()) {
      entries.push_back({Kind::kFile, it->path(), to});
    }
  }
  // 2. Written: folders, files (complete temp file, then rename), links.
  stdfs::create_directories(dest);
  std::vector<stdfs::path> files;
  for (const auto& e : entries) {
    switch (e.kind) {
      case Kind::kDir:
        stdfs::create_directories(e.to);
        break;
      case Kind::kFile: {
        stdfs::path tmp = e.to;
        tmp += ".mlbox-partial";
        stdfs::copy_file(e.from, tmp, stdfs::copy_options::overwrite_existing);
        stdfs::rename(tmp, e.to);
        files.push_back(e.to);
        break;
      }
      case Kind::kLink: {
        std::error_code ec;
        if (stdfs::is_symlink(stdfs::symlink_status(e.to, ec))) stdfs::remove(e.to);
        stdfs::copy_symlink(e.from, e.to);
        break;
      }
    }
  }
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
