// The image's command checked against the image's own files before anyone runs it: the
// program (`python`) must be on the image's PATH in the base and deps layers, and a script
// argument (`train.py`) must be in the code layer. Otherwise the job would fail at its first
// step, on a cloud GPU, minutes after submit.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "builder/build_result.h"

namespace mlbox::builder {

struct EntryCommandProblem {
  std::string what;
  std::string hint;
};

// An image's file tree as its layers leave it: every path without a leading '/', and the
// targets of its symbolic links (Debian's /bin -> usr/bin, python -> python3.11).
struct ImageFiles {
  std::set<std::string> paths;
  std::map<std::string, std::string> links;
  bool exists(const std::string& path) const;  // following links on the way and at the end
};

// Pure: `path_env` is the image's PATH ("" = the default), `working_dir` its WorkingDir.
std::optional<EntryCommandProblem> check_entry_command(const ImageFiles& files,
                                                       const std::vector<std::string>& command,
                                                       const std::string& path_env,
                                                       const std::string& working_dir);

// Keeps a layer's paths (tar order; symlink target or "") under its blob digest in
// $MLBOX_HOME/cache/layer-paths, as the builder writes the layer, so that the check below
// does not decompress a layer the build has just written to list it again.
void remember_layer_paths(const std::string& digest,
                          const std::vector<std::pair<std::string, std::string>>& paths);

// The paths of the built image's layers (whiteouts applied), read from its store (each
// layer's listing cached by digest).
ImageFiles image_files(const BuildResult& result);

// Throws Error(kConfig) when the built image's command cannot start.
void require_entry_command(const BuildResult& result, const std::vector<std::string>& command);

}  // namespace mlbox::builder
