// Where `mlbox fetch` may write, checked before its first byte: never a folder it could
// damage (the current folder, the project, a folder holding the project), never a
// non-empty folder unless asked to merge (--force: only the files fetched are
// overwritten, nothing is deleted), and never through a link to outside the folder.
#pragma once

#include <filesystem>
#include <string>

namespace mlbox::jobs {

// Error(kUsage) for `dest` being the current folder, the project folder or a folder that
// holds it, something other than a folder, or (without force) a non-empty folder.
void check_fetch_destination(const std::filesystem::path& dest,
                             const std::filesystem::path& project_dir, bool force);

// dest / rel, for an output's relative path `rel` (an object key below the job's prefix, a
// path below its output dir). Error(kRemote) naming `source` when rel is empty, absolute or
// climbs out with "..", or when a folder on the way under `dest` is a link (writing through
// it would land outside dest).
std::filesystem::path path_inside(const std::filesystem::path& dest, const std::string& rel,
                                  const std::string& source);

}  // namespace mlbox::jobs
