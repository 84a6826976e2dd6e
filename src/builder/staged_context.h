// The staged build context shared by `mlbox dockerfile` and the external builders: a
// directory holding exactly what the generated Dockerfile copies --
//   mlbox.lock   the lock (deps layer)
//   trainer/     the trainer bundle (bin/, lib/) for /opt/mlbox
//   code/        the project files after context rules, secret-scanned
//   wheels/      optional: a wheelhouse for offline `pip install --require-hashes`
// Files are hard-linked where possible. The directory is replaced atomically (built
// beside it, then renamed), so a killed staging leaves the previous one intact.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/events.h"
#include "manifest/manifest.h"

namespace mlbox::builder {

struct StageInputs {
  std::filesystem::path project_dir;
  std::filesystem::path lock_file;
  std::filesystem::path trainer_bundle;           // from ensure_trainer_bundle
  std::vector<std::filesystem::path> wheel_dirs;  // staged into wheels/ when non-empty
  // Native mode: mlbox-native's sources (builder/native_program.h), staged into native-src/
  // for the Dockerfile's compile stage. Empty: none.
  std::filesystem::path native_sources;
};

struct StagedContext {
  std::filesystem::path dir;
  size_t code_files = 0;
  bool has_wheels = false;
};

// Where the native-mode trainer config lands in the image (code layer).
inline constexpr const char* kNativeConfigPath = ".mlbox-native.json";

StagedContext stage_context(const manifest::Manifest& m, const StageInputs& in,
                            const std::filesystem::path& dest, Observer& observer);

// Lists the code files for `m` under `project_dir` and refuses secrets (Error kConfig,
// naming each file and why) unless allowed by context.allow_secrets.
std::vector<std::string> checked_code_files(const manifest::Manifest& m,
                                            const std::filesystem::path& project_dir);

// Hard-link `from` to `to`, copying when linking is not possible (another file system).
void link_or_copy(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace mlbox::builder
