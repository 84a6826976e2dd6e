// The Dockerfile path's inputs on disk: .mlbox/Dockerfile rendered from the build plan and
// the staged build context .mlbox/context it copies from (lock, trainer bundle, filtered and
// secret-scanned code, optional wheelhouse). `mlbox dockerfile` writes them for the user;
// the external builders (buildah, podman, docker) write the same two and build them.
#pragma once

#include <filesystem>
#include <vector>

#include "builder/plan.h"
#include "builder/staged_context.h"
#include "core/events.h"
#include "util/process.h"

namespace mlbox::builder {

struct DockerfileContextOptions {
  std::filesystem::path dockerfile;               // empty: <project>/.mlbox/Dockerfile
  std::filesystem::path context_dir;              // empty: <project>/.mlbox/context
  std::vector<std::filesystem::path> wheel_dirs;  // staged into wheels/ when non-empty
  std::filesystem::path trainer_binary;           // empty: locate_trainer_binary()
  std::filesystem::path trainer_cache;            // empty: $MLBOX_HOME/cache/trainer
};

struct DockerfileContext {
  std::filesystem::path dockerfile;
  StagedContext context;
};

// Renders the Dockerfile for `plan` and stages its context (both replaced atomically).
DockerfileContext write_dockerfile_context(const BuildPlan& plan,
                                           const DockerfileContextOptions& options,
                                           CommandRunner& runner, Observer& observer);

}  // namespace mlbox::builder
