#include "builder/plan.h"

#include <fmt/format.h>

#include "builder/labels.h"
#include "builder/staged_context.h"
#include "builder/trainer_bundle.h"
#include "catalog/machine_catalog.h"
#include "freeze/freeze.h"
#include "manifest/image_ref.h"
#include "manifest/load.h"
#include "util/error.h"
#include "util/strings.h"

namespace mlbox::builder {

std::string requested_gpu(const manifest::Manifest& m, std::string* machine_name) {
  if (!m.resources.machine.empty()) {
    const auto& machine =
        catalog::find_machine(catalog::builtin_machine_catalog(), m.resources.machine,
                              m.resources.gpu.type, m.resources.gpu.count);
    if (machine_name) *machine_name = machine.name;
    return machine.gpu;
  }
  return m.resources.gpu.type;
}

BuildPlan plan_build(const std::filesystem::path& project_dir, Observer& observer,
                     const PlanOptions& options) {
  BuildPlan p;
  p.project_dir = project_dir;
  p.manifest = manifest::load(project_dir / "mlbox.yaml");
  const auto& m = p.manifest;
  const auto lock_file = project_dir / "mlbox.lock";
  p.has_lock = options.require_lock || std::filesystem::exists(lock_file);
  if (!p.has_lock) {
    // Without a lock the image would carry none of the project's dependencies: refuse, as
    // `mlbox dockerfile` does, rather than build an image that fails at its first import.
    auto wanted = freeze::declared_requirements(m);
    if (!wanted.empty()) {
      std::string what = wanted.size() == 1 ? wanted.front()
                                            : fmt::format("{}, {}{}", wanted[0], wanted[1],
                                                          wanted.size() > 2 ? ", ..." : "");
      throw Error(ErrorKind::kConfig,
                  fmt::format("{} needs {} package{} ({}) but there is no mlbox.lock: the image "
                              "would hold none of them",
                              m.path.filename().string(), wanted.size(),
                              wanted.size() == 1 ? "" : "s", what),
                  "run 'mlbox freeze' first (offline: 'mlbox freeze --no-index --find-links "
                  "DIR'), then build again");
    }
  }
  if (p.has_lock) {
    p.lock = freeze::read_lock(lock_file);
    p.lock_digest = p.lock.digest();
  }

  // Stale lock: the inputs it was resolved from have changed since.
  freeze::FreezeOptions none;
  std::string fw_version;
  if (auto sp = p.lock.header.framework.find(' '); sp != std::string::npos) {
    fw_version = p.lock.header.framework.substr(sp + 1);
  }
  p.framework_version = fw_version;
  auto ro = freeze::resolve_options_for(m, none, fw_version, "");
  if (!p.lock.header.inputs_digest.empty() &&
      freeze::inputs_digest(m, ro) != p.lock.header.inputs_digest) {
    std::string what =
        fmt::format("mlbox.lock is stale: it was frozen from other inputs than {}{} now name",
                    m.path.filename().string(),
                    m.python.requirements.empty() ? "" : " and " + m.python.requirements);
    if (options.refuse_stale_lock) {
      throw Error(ErrorKind::kConfig, what,
                  "run 'mlbox freeze' to pin what the tree asks for, then submit again");
    }
    observer.warn(what + "; run 'mlbox freeze' to update it");
  }

  std::string machine;
  std::string gpu = requested_gpu(m, &machine);
  if (!gpu.empty()) {
    if (p.lock.header.cuda.empty()) {
      observer.warn("the job asks for a " + gpu + " GPU but the image is CPU-only (" +
                    p.lock.header.framework + "); set cuda: in mlbox.yaml and re-freeze");
    } else if (auto err =
                   dockerfile::check_gpu(dockerfile::builtin_cuda_matrix(), gpu, p.lock.header.cuda,
                                         m.framework.name, fw_version, machine)) {
      throw Error(
          ErrorKind::kConfig,
          m.where(machine.empty() ? "resources.gpu" : "resources.machine") + ": " + err->what(),
          err->hint());
    }
  }

  p.base = m.image.base.empty() ? p.lock.header.base_image : m.image.base;
  if (p.base.empty()) {
    if (!p.has_lock) {
      throw Error(ErrorKind::kConfig,
                  "no base image: mlbox.yaml sets no image.base and there is no mlbox.lock to "
                  "take one from",
                  "run 'mlbox freeze' (it picks a CUDA base for the framework), or set "
                  "image.base in mlbox.yaml");
    }
    throw Error(ErrorKind::kConfig,
                "mlbox.lock names no base image and mlbox.yaml sets no image.base",
                "run 'mlbox freeze' again, or set image.base in mlbox.yaml");
  }
  std::string why;
  auto source = manifest::parse_image_source(p.base, &why);
  bool registry = source && source->transport == manifest::ImageSource::Transport::kRegistry;
  if (registry && !p.lock.header.base_digest.empty() && p.base.find('@') == std::string::npos &&
      p.base == p.lock.header.base_image) {
    p.base += "@" + p.lock.header.base_digest;
  }
  p.labels = image_labels(m, p.lock_digest, p.base, git_commit_of(project_dir));
  p.entrypoint = {std::string(kTrainerPrefix) + "/bin/mlbox-trainer", "--"};
  p.cmd = image_command(m);
  p.env = {{"PYTHONPATH", std::string(kTrainerPrefix) + "/site-packages"},
           {"PYTHONUNBUFFERED", "1"}};
  return p;
}

}  // namespace mlbox::builder
