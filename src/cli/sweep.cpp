// mlbox sweep: many trials of the training over a grid or a random draw of parameters, on
// this machine (trials as concurrent local jobs), AWS Batch (one array job) or Vertex AI (one
// HyperparameterTuningJob, the service's own search). Flags over mlbox.yaml's `sweep:`; every
// parameter must reach something that reads it before anything is built or submitted.
// The steering subcommands (status, logs, cancel, fetch) are in sweep_steer.cpp.
#include <unistd.h>

#include <thread>

#include <fmt/format.h>

#include "backends/credential_preflight.h"
#include "backends/job_backends.h"
#include "backends/sweep_engines.h"
#include "builder/labels.h"
#include "cli/commands.h"
#include "cli/project_build.h"
#include "cli/submit_image.h"
#include "cli/submit_target.h"
#include "cli/sweep_commands.h"
#include "cli/sweep_table.h"
#include "image/oci_layout.h"
#include "manifest/load.h"
#include "sweep/param_consumers.h"
#include "sweep/sweep_launch.h"
#include "sweep/sweep_submission.h"
#include "sweep/trial_ranking.h"
#include "sweep/trial_scheduler.h"
#include "util/detached_process.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace mlbox::cli {

namespace {

struct SweepFlags {
  sweep::SweepOverrides o;
  SubmitFlags submit;
  int max_trials = 0, parallel = 0;
  long long seed = -1;
};

// The end of a sweep: the table (or the JSON object); exit 7 when no trial succeeded with
// the metric (there is no best trial).
void finish(Context& ctx, const sweep::SweepRecord& r) {
  ctx.options.json ? ctx.print_json(sweep::sweep_summary_json(r))
                   : ctx.print(render_sweep_table(r));
  if (r.state != "SUCCEEDED") {
    throw Error(ErrorKind::kJobFailed,
                fmt::format("sweep {} {}: no trial succeeded", r.id, r.state),
                "see mlbox sweep status " + r.id + " and mlbox sweep logs " + r.id + " --trial T");
  }
  if (!sweep::best_trial(r)) {
    throw Error(ErrorKind::kJobFailed,
                fmt::format("sweep {}: {}", r.id, sweep::missing_metric_note(r)),
                "give --metric one of the names the trials reported");
  }
}

std::string local_output_root(Context& ctx, const config::Settings& settings) {
  std::string out = settings.get("output");
  if (out.empty()) return (fs::mlbox_home() / "sweeps-output").string();
  std::filesystem::path p(out);
  if (p.is_relative()) p = ctx.project_dir() / p;
  return std::filesystem::absolute(p).lexically_normal().string();
}

void run_scheduler(sweep::SweepRecord record, Observer& observer) {
  jobs::JobStore jobs;
  sweep::SweepStore sweeps;
  auto backend =
      backends::make_job_backend("local", config::resolve_for_process(nullptr, {}), observer);
  sweep::LocalTrialImage image;
  const auto& d = record.details;
  image.store = d.value("store", "");
  image.tag = d.value("tag", "");
  image.command = d.value("command", std::vector<std::string>{});
  image.env = d.value("env", std::vector<std::string>{});
  image.uses_gpu = d.value("uses_gpu", false);
  sweep::TrialLaunch launch;
  launch.spec_for = [&](const sweep::TrialRecord& t, int slot) {
    return sweep::local_trial_spec(record, t, image, slot);
  };
  launch.read_metric = [&](const sweep::TrialRecord& t, const jobs::JobRecord& job) {
    return sweep::read_trial_metric(job.output_dir.empty() ? t.output : job.output_dir,
                                    record.spec.metric);
  };
  sweep::TrialScheduler scheduler(sweeps, jobs, *backend, observer);
  scheduler.run(record, launch, d.value("slots", 1));
}

void start_local(Context& ctx, SweepFlags& f, const manifest::Manifest* m,
                 const config::Settings& settings, const manifest::SweepSpec& spec) {
  refuse_cloud_flags_on_local(f.submit);
  std::string tag = f.submit.tag.empty() ? "latest" : f.submit.tag;
  if (!f.submit.no_build) {
    BuildFlags build = f.submit.build;
    build.tag = tag;
    build.refuse_stale_lock = true;
    build_project(ctx, build);
  }
  auto store = std::filesystem::absolute(image::project_store_path(ctx.project_dir()));
  if (!std::filesystem::exists(store / "index.json")) {
    throw Error(ErrorKind::kConfig, "no image store at " + store.string(),
                "build the image first: mlbox build");
  }
  tag = image::choose_image_tag(image::OciLayout(store, image::OciLayout::Mode::kReadOnly),
                                f.submit.tag, m ? m->name : "");
  std::string name = m && !m->name.empty() ? m->name : "sweep";
  auto record = sweep::plan_sweep(spec, name, "local", local_output_root(ctx, settings), false);
  const bool uses_gpu = m && m->resources.gpu.count > 0;
  const int slots = sweep::local_slots(spec.parallel_trials, std::thread::hardware_concurrency(),
                                       sweep::gpus_here(), uses_gpu);
  record.details = {{"store", store.string()},     {"tag", tag},
                    {"command", f.submit.command}, {"env", f.submit.env},
                    {"uses_gpu", uses_gpu},        {"slots", slots}};
  sweep::SweepStore sweeps;
  sweeps.save(record);
  ctx.observer().info(fmt::format("sweep {}: {} trials, {} at once, outputs in {}", record.id,
                                  record.trials.size(), slots, record.output));
  if (f.submit.follow) {
    record.details["scheduler_pid"] = static_cast<long>(::getpid());
    sweeps.save(record);
    run_scheduler(record, ctx.observer());
    finish(ctx, sweeps.resolve(record.id));
    return;
  }
  pid_t pid = start_detached_process([record]() mutable {
    record.details["scheduler_pid"] = static_cast<long>(::getpid());
    sweep::SweepStore().save(record);
    NullObserver quiet;
    run_scheduler(record, quiet);
    return 0;
  });
  record.details["scheduler_pid"] = static_cast<long>(pid);
  ctx.options.json ? ctx.print_json(sweep::sweep_summary_json(record)) : ctx.print(record.id);
}

void start_cloud(Context& ctx, SweepFlags& f, const manifest::Manifest* m,
                 const config::Settings& settings, const std::string& target,
                 const manifest::SweepSpec& spec) {
  const std::string backend = backends::backend_name_for_target(target);
  std::string repo = settings.get("image.repository");
  jobs::SpecInputs in;
  in.manifest = m;
  in.settings = &settings;
  in.target = target;
  in.image_ref = repo;
  in.command = f.submit.command;
  // Vertex's tuning service appends each trial's `--name=value` to the container's arguments,
  // and arguments replace the image's CMD: without the command stated, a trial would run
  // `mlbox-trainer -- --lr=0.01`. Every cloud sweep states it (the image's own CMD).
  if (in.command.empty() && m) in.command = builder::image_command(*m);
  in.env = f.submit.env;
  if (!f.submit.image.empty()) in.image_ref = image_from_flag(f.submit.image, repo).reference;
  std::string name = m && !m->name.empty() ? m->name : "sweep";
  const bool engine_plans = backend == "vertex";
  auto record = sweep::plan_sweep(spec, name, backend, settings.get("output"), engine_plans);
  in.job_id = record.id;
  if (!f.submit.dry_run) {
    std::vector<std::string> uris{settings.get("output")};
    if (m) {
      for (const auto& [n, uri] : m->data) uris.push_back(uri);
    }
    in.preflight = backends::credential_problems(
        backends::clouds_touched(target, in.image_ref, uris), ctx.observer());
  }
  jobs::JobSpec checked = jobs::check_job_inputs(in);
  ctx.observer().info(machine_line(checked, target));
  nlohmann::json saved_settings = nlohmann::json::object();
  for (const char* key :
       {"region", "project", "job_queue", "job_role_arn", "service_account", "output"}) {
    saved_settings[key] = settings.get(key);
  }
  record.details["settings"] = saved_settings;
  jobs::JobStore jobs;
  sweep::SweepStore sweeps;
  auto engine = backends::make_sweep_engine(backend, settings, ctx.observer(), jobs, sweeps);
  if (f.submit.dry_run) {
    ctx.print_json(
        sweep::plan_sweep_requests(*engine, record, in, image_to_send(ctx, f.submit, repo, false)));
    return;
  }
  jobs::SubmitSteps steps;
  steps.push_image = [&] { return image_to_send(ctx, f.submit, repo, true); };
  steps.stage_data = [&](jobs::JobSpec& s) {
    backends::stage_local_data(settings, s, ctx.project_dir(), ctx.observer());
  };
  sweep::submit_sweep(sweeps, *engine, record, in, steps, ctx.observer());
  if (!f.submit.follow) {
    ctx.options.json ? ctx.print_json(sweep::sweep_summary_json(record)) : ctx.print(record.id);
    return;
  }
  for (;;) {
    engine->refresh(record);
    record.state = sweep::overall_state(record);
    sweeps.save(record);
    if (record.done()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(
        static_cast<long long>(jobs::default_poll_interval_seconds() * 1000)));
  }
  finish(ctx, record);
}

// `mlbox sweep staus X` would otherwise start a sweep of the command `staus X`: a first word
// close to a subcommand's name (and not a path or a program on PATH) is a usage error naming
// the subcommand it meant.
void refuse_mistyped_subcommand(const std::vector<std::string>& command) {
  if (command.empty() || command[0].find_first_of("/.") != std::string::npos) return;
  if (!fs::which(command[0]).empty()) return;
  const std::vector<std::string> subcommands = {"status", "logs", "cancel", "fetch"};
  auto near = did_you_mean(command[0], subcommands);
  if (!near) return;
  throw Error(ErrorKind::kUsage, "'" + command[0] + "' is not an mlbox sweep subcommand",
              "did you mean 'mlbox sweep " + *near +
                  "'? (a sweep's own command goes after "
                  "'--': mlbox sweep ... -- python train.py)");
}

}  // namespace

void set_sweep_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "sweep", "Run many trials over parameters (this machine, AWS Batch array, Vertex tuning)");
  auto f = std::make_shared<SweepFlags>();
  cmd->add_option("--param", f->o.params,
                  "NAME=V1,V2,... or NAME=MIN:MAX[:log] (repeatable; replaces sweep.parameters)")
      ->allow_extra_args(false);
  cmd->add_option("--metric", f->o.metric, "The metric to optimise (e.g. val_accuracy)");
  cmd->add_option("--goal", f->o.goal, "max or min (default max)");
  cmd->add_option("--algorithm", f->o.algorithm, "grid, random or bayesian (Vertex only)");
  cmd->add_option("--deliver", f->o.deliver,
                  "How --param values reach the training: args, env or config (default: config "
                  "in native mode, else args)");
  cmd->add_option("--max-trials", f->max_trials, "Trials in all (default: the grid, 10 random)");
  cmd->add_option("--parallel", f->parallel, "Trials at once (default 1)");
  cmd->add_option("--seed", f->seed, "Seed of the random search (default 0)");
  cmd->add_option("--early-stopping", f->o.early_stopping, "median or none");
  cmd->add_option("--target", f->submit.target, "local | vertex | batch");
  cmd->add_option("--region", f->submit.region, "Cloud region");
  cmd->add_option("--machine", f->submit.machine, "Machine type of every trial");
  cmd->add_option("--gpu", f->submit.gpu, "GPU request TYPE:COUNT per trial");
  cmd->add_flag("--spot", f->submit.spot, "Spot / preemptible capacity");
  cmd->add_option("--output", f->submit.output,
                  "Output root (the sweep writes under <output>/<sweep id>)");
  cmd->add_option("--project", f->submit.project, "Google Cloud project (vertex)");
  cmd->add_option("--job-queue", f->submit.job_queue, "AWS Batch job queue (batch)");
  cmd->add_option("--tag", f->submit.tag, "Tag of the project's store to build into and send");
  cmd->add_flag("--no-build", f->submit.no_build, "Send the store's image as it is");
  cmd->add_option("--image", f->submit.image, "Send an image already pushed (cloud targets)");
  cmd->add_option("-e,--env", f->submit.env, "KEY=value for every trial (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("-f,--follow", f->submit.follow, "Wait for every trial, then print the table");
  cmd->add_flag("--dry-run", f->submit.dry_run, "Print the requests and send nothing (cloud)");
  add_build_flags(cmd, f->submit.build);
  add_registry_flags(cmd, f->submit.build.registry);
  cmd->add_option("command", f->submit.command, "Command instead of the image's (after --)");
  add_sweep_steer_commands(cmd, ctx);
  cmd->callback([&ctx, f, cmd] {
    if (!cmd->get_subcommands().empty()) return;
    refuse_mistyped_subcommand(f->submit.command);
    if (f->max_trials != 0) f->o.max_trials = f->max_trials;
    if (f->parallel != 0) f->o.parallel = f->parallel;
    if (f->seed >= 0) f->o.seed = static_cast<uint64_t>(f->seed);
    std::optional<manifest::Manifest> m;
    if (std::filesystem::exists(ctx.manifest_path())) m = manifest::load(ctx.manifest_path());
    const manifest::Manifest* mp = m ? &*m : nullptr;
    manifest::SweepSpec spec = sweep::merge_sweep_spec(m ? m->sweep : std::nullopt, f->o);
    config::Settings settings = resolve_submit_settings(ctx, f->submit, mp);
    const std::string target = settings.get("target");
    // Before anything is built or sent: every parameter reaches the training.
    sweep::ProjectFacts facts{mp, f->submit.command, ctx.project_dir()};
    sweep::resolve_param_consumers(spec.params, facts);
    if (spec.algorithm == manifest::SweepAlgorithm::kBayesian && target != "vertex") {
      throw Error(ErrorKind::kUsage, "--algorithm bayesian is Vertex AI's own search",
                  "use --target vertex, or --algorithm grid|random here");
    }
    if (backends::target_runs_here(target)) {
      start_local(ctx, *f, mp, settings, spec);
    } else {
      start_cloud(ctx, *f, mp, settings, target, spec);
    }
  });
}

}  // namespace mlbox::cli
