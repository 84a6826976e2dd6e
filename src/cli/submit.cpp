// mlbox submit: the project's image as a job on the configured target. Cloud targets
// (vertex, batch) check everything first (the spec against the machine catalog, and the
// credentials of every cloud the job touches, reported together), then build what the
// working tree holds (incrementally; not with --no-build or --image), push it (only missing
// blobs move) and create the job; `--dry-run` builds and prints the exact requests and changes
// nothing (it only asks the registry which blobs it has, for the push estimate). Before
// anything moves, the cost for max_runtime and the quota headroom are printed, and a job
// over a cached quota is refused (submit_estimate.h). The local target runs the job on this
// machine, like `mlbox run`.
#include <fmt/format.h>

#include "backends/credential_preflight.h"
#include "backends/job_backends.h"
#include "cli/ci_output.h"
#include "cli/commands.h"
#include "cli/project_build.h"
#include "cli/run_local.h"
#include "cli/submit_estimate.h"
#include "cli/submit_image.h"
#include "cli/submit_target.h"
#include "cloud/gcp/vertex_custom_job.h"
#include "jobs/job_control.h"
#include "jobs/job_submission.h"
#include "manifest/load.h"
#include "util/error.h"
#include "util/strings.h"

namespace mlbox::cli {

namespace {

void submit_to_cloud(Context& ctx, const SubmitFlags& f, const manifest::Manifest* m,
                     const config::Settings& settings, const std::string& target) {
  std::string repo = settings.get("image.repository");  // unset: reported with the rest
  const std::string backend_name = backends::backend_name_for_target(target);
  jobs::SpecInputs in;
  in.manifest = m;
  in.settings = &settings;
  in.target = target;
  in.job_id = jobs::new_job_id(backend_name);
  in.image_ref = repo;
  in.command = f.command;
  in.env = f.env;
  if (!f.image.empty()) in.image_ref = image_from_flag(f.image, repo).reference;
  if (!f.dry_run) {  // a dry run changes nothing, so it needs no credentials
    std::vector<std::string> uris{settings.get("output")};
    if (m) {
      for (const auto& [name, uri] : m->data) uris.push_back(uri);
    }
    in.preflight = backends::credential_problems(
        backends::clouds_touched(target, in.image_ref, uris), ctx.observer());
  }
  jobs::JobSpec checked = jobs::check_job_inputs(in);  // every problem at once, before the build
  ctx.observer().info(machine_line(checked, target));
  // Cost and quota before anything moves: over quota, a real submit stops here.
  nlohmann::json estimate = launch_estimate(ctx, checked, target, !f.dry_run);
  auto backend = backends::make_job_backend(backend_name, settings, ctx.observer());
  auto estimate_push = [&](const std::string& tag) {
    estimate["push"] = push_estimate(ctx, f, repo, tag);
  };
  if (f.dry_run) {
    nlohmann::json plan =
        jobs::plan_job(*backend, in, image_to_send(ctx, f, repo, false, estimate_push));
    plan["estimate"] = estimate;
    ctx.print_json(plan);
    return;
  }
  jobs::SubmitSteps steps;
  steps.push_image = [&] { return image_to_send(ctx, f, repo, true, estimate_push); };
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
  cmd->add_option("--region", f->region,
                  "Cloud region; without --target it picks the cloud that sells it");
  cmd->add_option("--machine", f->machine, "Machine type (see mlbox machines)");
  cmd->add_option("--gpu", f->gpu, "GPU request TYPE:COUNT, e.g. T4:1");
  cmd->add_option("--cpus", f->cpus, "At least this many vCPUs (the cheapest machine that fits)");
  cmd->add_option("--memory", f->memory, "At least this much memory: 16GB, 64GiB");
  cmd->add_flag("--spot", f->spot, "Use spot / preemptible capacity (retried on reclaim)");
  cmd->add_option("--nodes", f->nodes, "Number of machines (distributed training)");
  cmd->add_option("--max-runtime", f->max_runtime, "Time limit: 2h, 90m, 3600");
  cmd->add_option("--output", f->output, "Output URI (gs://... or s3://...)");
  cmd->add_option("--project", f->project, "Google Cloud project (vertex)");
  cmd->add_option("--job-queue", f->job_queue, "AWS Batch job queue (batch)");
  cmd->add_option("--tag", f->tag, "Tag of the project's store to build into and send");
  cmd->add_flag("--no-build", f->no_build,
                "Send the store's image as it is (default: build the working tree first)");
  cmd->add_option("--image", f->image,
                  "Send an image already pushed: REPO[:TAG] (pinned to its digest now), "
                  "REPO@sha256:... or sha256:... (no build, no push)");
  cmd->add_option("-e,--env", f->env, "KEY=value for the job (repeatable)")
      ->allow_extra_args(false);  // one value each, so a command after it stays the command
  cmd->add_flag("-f,--follow", f->follow, "Stream the logs until the job ends");
  cmd->add_flag("--dry-run", f->dry_run,
                "Build, then print the exact requests (secrets redacted), the cost, quota and "
                "push estimate, and change nothing");
  add_build_flags(cmd, f->build);
  add_registry_flags(cmd, f->build.registry);
  cmd->add_option("command", f->command, "Command instead of the image's (after --)");
  cmd->callback([&ctx, f] {
    std::optional<manifest::Manifest> m;
    if (std::filesystem::exists(ctx.manifest_path())) m = manifest::load(ctx.manifest_path());
    if (to_lower(f->target) == "ai-platform" || to_lower(f->target) == "aiplatform") {
      ctx.observer().warn(cloud::gcp::kAiPlatformShutdownNotice);
    }
    if (!f->image.empty() && f->no_build) {
      throw Error(ErrorKind::kUsage, "--image and --no-build both say which image to send",
                  "give one of them");
    }
    config::Settings settings = resolve_submit_settings(ctx, *f, m ? &*m : nullptr);
    const std::string target = settings.get("target");
    if (backends::target_runs_here(target)) {
      refuse_cloud_flags_on_local(*f);
      RunFlags run;
      run.tag = f->tag;
      if (!f->no_build) {  // this machine runs what the tree holds too
        BuildFlags build = f->build;
        build.tag = run.tag = f->tag.empty() ? "latest" : f->tag;
        build.refuse_stale_lock = true;
        build_project(ctx, build);
      }
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
