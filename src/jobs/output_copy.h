// Copying a job's output folder on this machine (a local job's output dir) to the folder
// `mlbox fetch` names: written into DEST.partial first, then renamed, so an interrupted
// copy never looks finished.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace mlbox::jobs {

// Copies every file, folder and link under `src` to `dest` (replacing it); returns the
// files written, under `dest`. Throws Error(kConfig) when `src` is not a folder.
std::vector<std::filesystem::path> copy_output_tree(const std::filesystem::path& src,
                                                    const std::filesystem::path& dest);

// The sum of the sizes of `files` (regular files; others count 0).
std::uintmax_t total_size(const std::vector<std::filesystem::path>& files);

}  // namespace mlbox::jobs
