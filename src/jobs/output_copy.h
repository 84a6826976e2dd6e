// Copying a job's output folder on this machine (a local job's output dir) to the folder
// `mlbox fetch` names. Everything is checked before the first byte is written: every path
// stays below DEST (jobs/fetch_destination.h), and a link in the outputs is copied only
// when it points inside the copied tree (an absolute target, or one that climbs out, is
// refused). Each file appears by rename of a complete temporary file beside it; files of
// DEST that the copy does not write are left alone.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mlbox::jobs {

// Copies every file, folder and link under `src` into `dest`; returns the files written,
// under `dest`. Error(kConfig) when `src` is not a folder; Error(kRemote) for a link that
// would resolve outside; Error(kUsage) for a link already in `dest` on the way.
// Top-level entries named in `skip` (e.g. "checkpoints") are left out.
std::vector<std::filesystem::path> copy_output_tree(const std::filesystem::path& src,
                                                    const std::filesystem::path& dest,
                                                    const std::vector<std::string>& skip = {});

// The sum of the sizes of `files` (regular files; others count 0).
std::uintmax_t total_size(const std::vector<std::filesystem::path>& files);

}  // namespace mlbox::jobs
