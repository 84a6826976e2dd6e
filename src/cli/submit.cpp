// mlbox submit: the project's image as a job on the configured target. Cloud targets
// (vertex, batch) push the image first (only missing blobs move), build a JobSpec checked
// against the machine catalog, and create the job; `--dry-run` prints the exact requests
// and sends nothing. The local target runs the job on this machine, like `mlbox run`.
#include <fmt/format.h>

#include "backends/image_push.h"
#include "backends/job_backends.h"
#include "cli/ci_output.h"
#include "cli/commands.h"
#include "cli/registry_flags.h"
#include "cli/run_local.h"
#include "cloud/gcp/vertex_custom_job.h"
#include "image/oci_layout.h"
#include "jobs/job_control.h"
#include "jobs/job_submission.h"
#include "manifest/load.h"
#include "util/error.h"
#include "util/strings.h"

namespace mlbox::cli {

namespace {

struct SubmitFlags {
  std::string target, region, machine, gpu, nodes, max_runtime, output, project, job_queue;
  bool spot = false;
  bool follow = false;
  bool dry_run = false;
  std::string tag;
  std::vector<std::string> env;
  std::vector<std::string> command;
  RegistryFlags registry;
};

std::map<std::string, std::string> setting_flags(const SubmitFlags& f) {
  std::map<std::string, std::string> m;
  auto put = [&](const char* key, const std::string& v) {
    if (!v.empty()) m[key] = v;
  };
  put("target", f.target);
  put("region", f.region);
  put("machine", f.machine);
  put("gpu", f.gpu);
  put("nodes", f.nodes);
  put("max_runtime", f.max_runtime);
  put("output", f.output);
  put("project", f.project);
  put("job_queue", f.job_queue);
  if (f.spot) m["spot"] = "true";
  return m;
}

void submit_to_cloud(Context& ctx, const SubmitFlags& f, const manifest::Manifest* m,
                     const config::Settings& settings, const std::string& target) {
  std::string repo = settings.get("image.repository");  // unset: reported with the rest
  const std::string backend_name = backends::backend_name_for_target(target);
  jobs::SpecInputs in{m,    &settings, target,    jobs::new_job_id(backend_name),
                      repo, "",        f.command, f.env};
  jobs::check_job_inputs(in);
  auto backend = backends::make_job_backend(backend_name, settings, ctx.observer());
  if (f.dry_run) {
    auto store = image::project_store_path(ctx.project_dir());
    ctx.print_json(
        jobs::plan_job(*backend, in, backends::image_push_would_send(store, repo, f.tag)));
    return;
  }
  jobs::SubmitSteps steps;
  steps.push_image = [&] {
    backends::PushRequest push{
        image::project_store_path(ctx.project_dir()), repo, f.tag, -1, false, f.registry};
    registry::PushSummary s = backends::push_image(push, ctx.observer());
    ctx.observer().info(fmt::format("image {}@{} ({} blobs uploaded, {} already there)",
                                    s.reference, s.digest, s.blobs_uploaded, s.blobs_skipped));
    return jobs::PushedImage{s.reference, s.digest};
  };
  steps.stage_data = [&](jobs::JobSpec& spec) {
    backends::stage_local_data(settings, spec, ctx.project_dir(), ctx.observer());
  };
  jobs::JobStore store;
  jobs::JobRecord r = jobs::submit_job(store, *backend, in, steps, ctx.observer());
  if (!f.follow) {
    report_job_to_ci(r);
    ctx.options.json ? ctx.print_json(r.to_json()) : ctx.print(r.id);
    return;
  }
  auto print = [&](const std::string& line) {
    if (!ctx.options.json) ctx.print(line);
  };
  r = jobs::stream_logs(store, *backend, r, true, print, ctx.observer());
  report_job_to_ci(r);
  if (ctx.options.json) ctx.print_json(r.to_json());
  if (r.state != jobs::JobState::kSucceeded) {
    throw Error(ErrorKind::kJobFailed, fmt::format("job {} {}", r.id, jobs::to_string(r.state)),
                "see mlbox status " + r.id);
  }
}

}  // namespace

void set_submit_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("submit",
                                 "Submit the training job (Vertex AI, AWS Batch, or this machine)");
  auto f = std::make_shared<SubmitFlags>();
  cmd->add_option("--target", f->target, "local | vertex (alias ai-platform) | batch");
  cmd->add_option("--region", f->region, "Cloud region");
  cmd->add_option("--machine", f->machine, "Machine type (see mlbox machines)");
  cmd->add_option("--gpu", f->gpu, "GPU request TYPE:COUNT, e.g. T4:1");
  cmd->add_flag("--spot", f->spot, "Use spot / preemptible capacity (retried on reclaim)");
  cmd->add_option("--nodes", f->nodes, "Number of machines (distributed training)");
  cmd->add_option("--max-runtime", f->max_runtime, "Time limit: 2h, 90m, 3600");
  cmd->add_option("--output", f->output, "Output URI (gs://... or s3://...)");
  cmd->add_option("--project", f->project, "Google Cloud project (vertex)");
  cmd->add_option("--job-queue", f->job_queue, "AWS Batch job queue (batch)");
  cmd->add_option("--tag", f->tag, "Which tag of the project's store to submit");
  cmd->add_option("-e,--env", f->env, "KEY=value for the job (repeatable)");
  cmd->add_flag("-f,--follow", f->follow, "Stream the logs until the job ends");
  cmd->add_flag("--dry-run", f->dry_run,
                "Print the exact requests (secrets redacted) and send nothing");
  add_registry_flags(cmd, f->registry);
  cmd->add_option("command", f->command, "Command instead of the image's (after --)");
  cmd->callback([&ctx, f] {
    std::optional<manifest::Manifest> m;
    if (std::filesystem::exists(ctx.manifest_path())) m = manifest::load(ctx.manifest_path());
    if (to_lower(f->target) == "ai-platform" || to_lower(f->target) == "aiplatform") {
      ctx.observer().warn(cloud::gcp::kAiPlatformShutdownNotice);
    }
    config::Settings settings = config::resolve_for_process(m ? &*m : nullptr, setting_flags(*f));
    const std::string target = settings.get("target");
    if (backends::target_runs_here(target)) {
      if (f->dry_run) {
        throw Error(ErrorKind::kUsage, "--dry-run is for cloud targets (vertex, batch)",
                    "use --target vertex or --target batch");
      }
      RunFlags run;
      run.tag = f->tag;
      run.env = f->env;
      run.command = f->command;
      run.detach = !f->follow;
      run_local_job(ctx, run);
      return;
    }
    submit_to_cloud(ctx, *f, m ? &*m : nullptr, settings, target);
  });
}

}  // namespace mlbox::cli
