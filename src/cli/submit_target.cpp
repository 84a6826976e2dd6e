#include "cli/submit_target.h"

#include <fmt/format.h>

#include "catalog/machine_catalog.h"
#include "jobs/spec_builder.h"
#include "jobs/target_choice.h"
#include "util/error.h"
#include "util/strings.h"

namespace mlbox::cli {

namespace {

std::map<std::string, std::string> setting_flags(const SubmitFlags& f) {
  std::map<std::string, std::string> m;
  auto put = [&](const char* key, const std::string& v) {
    if (!v.empty()) m[key] = v;
  };
  put("target", f.target);
  put("region", f.region);
  put("machine", f.machine);
  put("gpu", f.gpu);
  put("cpus", f.cpus);
  put("memory", f.memory);
  put("nodes", f.nodes);
  put("max_runtime", f.max_runtime);
  put("output", f.output);
  put("project", f.project);
  put("job_queue", f.job_queue);
  if (f.spot) m["spot"] = "true";
  return m;
}

}  // namespace

// Flags that mean nothing on this machine are refused rather than silently ignored.
void refuse_cloud_flags_on_local(const SubmitFlags& f) {
  std::vector<std::string> given;
  auto check = [&](const char* flag, bool set) {
    if (set) given.push_back(flag);
  };
  check("--region", !f.region.empty());
  check("--machine", !f.machine.empty());
  check("--gpu", !f.gpu.empty());
  check("--cpus", !f.cpus.empty());
  check("--memory", !f.memory.empty());
  check("--spot", f.spot);
  check("--nodes", !f.nodes.empty());
  check("--max-runtime", !f.max_runtime.empty());
  check("--project", !f.project.empty());
  check("--job-queue", !f.job_queue.empty());
  check("--image", !f.image.empty());
  check("--dry-run", f.dry_run);
  if (given.empty()) return;
  throw Error(ErrorKind::kUsage,
              fmt::format("{} {} for cloud targets (vertex, batch); the target is local, which "
                          "runs the job on this machine",
                          join(given, ", "), given.size() == 1 ? "is" : "are"),
              "drop them, or name the cloud: --target vertex or --target batch (or "
              "configure targets.vertex / targets.batch in mlbox.yaml)");
}

// Settings, with `--region R` alone choosing the cloud that sells R (when mlbox.yaml
// configures it) over the manifest's first target or the local default.
config::Settings resolve_submit_settings(Context& ctx, const SubmitFlags& f,
                                         const manifest::Manifest* m) {
  auto flags = setting_flags(f);
  config::Settings settings = config::resolve_for_process(m, flags);
  auto source = settings.at("target").source;
  if (f.region.empty() ||
      (source != config::Source::kManifest && source != config::Source::kDefault)) {
    return settings;
  }
  jobs::ConfiguredTargets configured{m && m->targets.vertex, m && m->targets.batch};
  flags["target"] =
      jobs::target_for_region(catalog::builtin_machine_catalog(), f.region, configured);
  settings = config::resolve_for_process(m, flags);
  config::Value v = settings.at("target");
  v.origin = "--region " + f.region;
  settings.set(v);
  ctx.observer().info(fmt::format("--region {}: submitting to {} (targets.{} in mlbox.yaml)",
                                  f.region, v.value, v.value));
  return settings;
}

std::string machine_line(const jobs::JobSpec& spec, const std::string& target) {
  std::string what = spec.machine;
  for (const catalog::Machine* m : catalog::builtin_machine_catalog().lookup(spec.machine)) {
    if (m->cloud != jobs::cloud_of_target(target) || (m->gpu_count > 0) != (spec.gpu_count > 0))
      continue;
    what += fmt::format(" ({}{} vCPU, {} GiB)",
                        m->gpu.empty() ? "" : fmt::format("{} x{}, ", m->gpu, spec.gpu_count),
                        m->vcpu, m->memory_gib);
    break;
  }
  std::string line = fmt::format("machine {} in {}", what, spec.region);
  if (auto cost = jobs::estimated_cost(spec, target, 1.0)) {
    line += fmt::format(": ${:.3f}/h {}{}", *cost, spec.spot ? "spot" : "on-demand",
                        spec.nodes > 1 ? fmt::format(" for {} nodes", spec.nodes) : "");
  }
  if (!spec.machine_choice.empty()) line += ", " + spec.machine_choice;
  return line;
}

}  // namespace mlbox::cli
