#include "jobs/fetch_destination.h"

#include "util/error.h"

namespace mlbox::jobs {

namespace stdfs = std::filesystem;

namespace {

// `inner` is `outer` or lies below it (both absolute and normal).
bool within(const stdfs::path& inner, const stdfs::path& outer) {
  auto rel = inner.lexically_relative(outer);
  return !rel.empty() && *rel.begin() != "..";
}

stdfs::path resolved(const stdfs::path& p) {
  std::error_code ec;
  stdfs::path r = stdfs::weakly_canonical(stdfs::absolute(p), ec);
  return ec ? stdfs::absolute(p).lexically_normal() : r;
}

}  // namespace

void check_fetch_destination(const stdfs::path& dest, const stdfs::path& project_dir, bool force) {
  const stdfs::path target = resolved(dest);
  const std::string hint = "name a new or empty folder: mlbox fetch JOB -o DIR";
  if (target == resolved(stdfs::current_path())) {
    throw Error(ErrorKind::kUsage, "refusing to fetch into the current folder " + target.string(),
                hint);
  }
  if (within(resolved(project_dir), target)) {
    throw Error(ErrorKind::kUsage,
                "refusing to fetch into " + target.string() + ": it holds the project",
                hint + " (the default is ./mlbox-output/<job id>)");
  }
  std::error_code ec;
  auto st = stdfs::symlink_status(dest, ec);
  if (ec || !stdfs::exists(st)) return;
  if (!stdfs::is_directory(stdfs::status(dest, ec))) {
    throw Error(ErrorKind::kUsage, dest.string() + " exists and is not a folder", hint);
  }
  if (!force && !stdfs::is_empty(dest, ec)) {
    throw Error(ErrorKind::kUsage, dest.string() + " is not empty",
                "--force merges into it (overwriting only the files fetched, deleting nothing); "
                "or " +
                    hint);
  }
}

stdfs::path path_inside(const stdfs::path& dest, const std::string& rel_text,
                        const std::string& source) {
  stdfs::path rel = stdfs::path(rel_text).lexically_normal();
  if (rel.empty() || rel.is_absolute() || *rel.begin() == ".." || rel == ".") {
    throw Error(ErrorKind::kRemote, "'" + rel_text + "' in " + source + " escapes its folder",
                "nothing was written; the job's outputs must stay below its output folder");
  }
  stdfs::path at = dest;
  for (const auto& part : rel.parent_path()) {
    at /= part;
    std::error_code ec;
    if (stdfs::is_symlink(stdfs::symlink_status(at, ec))) {
      throw Error(ErrorKind::kUsage,
                  at.string() + " is a link: writing " + rel_text +
                      " through it could land "
                      "outside " +
                      dest.string(),
                  "nothing was written; fetch into a new or empty folder");
    }
  }
  return dest / rel;
}

}  // namespace mlbox::jobs
