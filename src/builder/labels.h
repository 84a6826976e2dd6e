// OCI annotations/labels recorded on every image mlbox builds, by any builder.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "manifest/manifest.h"

namespace mlbox::builder {

inline constexpr const char* kLabelLockDigest = "io.mlbox.lock.digest";
inline constexpr const char* kLabelVersion = "io.mlbox.version";
inline constexpr const char* kLabelBuilder = "io.mlbox.builder";

// org.opencontainers.image.{title,revision,source,base.name,created?}, the lock digest and
// the mlbox version. `git_commit` may be empty.
std::map<std::string, std::string> image_labels(const manifest::Manifest& m,
                                                const std::string& lock_digest,
                                                const std::string& base_name,
                                                const std::string& git_commit);

// The image's CMD for the manifest's train section: the user's command, or for native mode
// the trainer reading its config from the code layer (kNativeConfigPath in /workspace).
std::vector<std::string> image_command(const manifest::Manifest& m);

// HEAD of the git repository holding `dir` (with "-dirty" when the work tree has changes);
// empty when `dir` is not in a git work tree or git is missing.
std::string git_commit_of(const std::filesystem::path& dir);

}  // namespace mlbox::builder
