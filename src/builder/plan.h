// What every builder needs before it starts: the validated manifest, the lock (checked for
// staleness), the base image, the GPU/CUDA check, labels and the image's command.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/events.h"
#include "dockerfile/cuda_matrix.h"
#include "freeze/lock.h"
#include "manifest/manifest.h"

namespace mlbox::builder {

struct BuildPlan {
  std::filesystem::path project_dir;
  manifest::Manifest manifest;
  freeze::Lock lock;
  bool has_lock = false;
  std::string lock_digest;        // empty without a lock
  std::string base;               // FROM reference (with @digest when pinned)
  std::string framework_version;  // from the lock header
  std::map<std::string, std::string> labels;
  std::vector<std::string> cmd;         // the image's CMD (ENTRYPOINT is the trainer)
  std::vector<std::string> entrypoint;  // ["/opt/mlbox/bin/mlbox-trainer", "--"]
  std::map<std::string, std::string> env;
};

struct PlanOptions {
  // The native builder can build a project without a lock (no deps layer); the Dockerfile
  // path always installs from one.
  bool require_lock = true;
  // A lock frozen from other inputs than mlbox.yaml and the requirements now name is an
  // Error(kConfig) (submit: the job would run other packages than the tree asks for), not a
  // warning.
  bool refuse_stale_lock = false;
};

// Throws Error(kConfig) when mlbox.lock is missing (and required) or malformed, or the
// manifest's GPU cannot run the locked CUDA/framework; warns (observer) when the lock looks
// stale.
BuildPlan plan_build(const std::filesystem::path& project_dir, Observer& observer,
                     const PlanOptions& options = {});

// The GPU the manifest asks for (directly or through its machine), empty when none.
std::string requested_gpu(const manifest::Manifest& m, std::string* machine_name = nullptr);

}  // namespace mlbox::builder
