#include "builder/dockerfile_context.h"

#include "builder/native_program.h"
#include "builder/site_hook.h"
#include "builder/trainer_bundle.h"
#include "dockerfile/render.h"
#include "util/fs.h"

namespace mlbox::builder {

DockerfileContext write_dockerfile_context(const BuildPlan& plan, const DockerfileContextOptions& o,
                                           CommandRunner& runner, Observer& observer) {
  const auto& project = plan.project_dir;
  const std::filesystem::path trainer =
      o.trainer_binary.empty() ? locate_trainer_binary() : o.trainer_binary;
  const std::filesystem::path cache =
      o.trainer_cache.empty() ? fs::mlbox_home() / "cache" / "trainer" : o.trainer_cache;
  TrainerBundle bundle = ensure_trainer_bundle(trainer, cache, runner, observer);

  StageInputs in{project, project / "mlbox.lock", bundle.dir, o.wheel_dirs, {}};
  if (plan.manifest.train.native) {
    // The compile stage builds mlbox-native against the torch the deps step installs.
    locked_torch(plan.lock, "mlbox.lock");
    in.native_sources = locate_native_sources();
  }
  DockerfileContext out;
  out.context = stage_context(
      plan.manifest, in, o.context_dir.empty() ? project / ".mlbox" / "context" : o.context_dir,
      observer);
  // The site hook (builder/site_hook.h), copied with the trainer to /opt/mlbox/.
  const std::string image_python =
      !plan.lock.header.python.empty() ? plan.lock.header.python : plan.manifest.python.version;
  const std::string under_trainer = "opt/mlbox/";  // where the template copies trainer/
  std::filesystem::path hook =
      out.context.dir / "trainer" / site_hook_image_path(image_python).substr(under_trainer.size());
  std::filesystem::create_directories(hook.parent_path());
  fs::write_file_atomic(hook, site_hook_text());

  dockerfile::DockerfileInputs df;
  df.base = plan.base;
  df.python_version = plan.manifest.python.version;
  df.system_packages = plan.manifest.system_packages;
  df.install_deps = !plan.lock.packages.empty();
  df.offline_wheels = out.context.has_wheels;
  df.cmd = plan.cmd;
  df.labels = plan.labels;
  df.native = plan.manifest.train.native.has_value();
  out.dockerfile = o.dockerfile.empty() ? project / ".mlbox" / "Dockerfile" : o.dockerfile;
  fs::write_file_atomic(out.dockerfile, dockerfile::render_dockerfile(df));
  return out;
}

}  // namespace mlbox::builder
