// mlbox submit: the project's image as a job on the configured target. Cloud targets
// (vertex, batch) push the image first (only missing blobs move), build a JobSpec checked
// against the machine catalog, and create the job; `--dry-run` prints the exact requests
// and sends nothing. The local target runs the job on this machine, like `mlbox run`.
#include <fmt/format.h>

#include "cli/cloud_backends.h"
#include "cli/commands.h"
#include "cli/push_image.h"
#include "cli/run_local.h"
#include "cloud/gcp/vertex_custom_job.h"
#include "image/oci_layout.h"
#include "jobs/data_staging.h"
#include "jobs/spec_builder.h"
#include "manifest/image_ref.h"
#include "manifest/load.h"
#include "util/error.h"
#include "util/strings.h"

namespace mlbox::cli {

namespace {

struct SubmitFlags {
  std::map<std::string, std::string> settings;  // setting key -> flag value
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

// The digest of the store's image for --dry-run (nothing is pushed then).
// The digest `mlbox push` would send: the same tag choice (--tag, else the reference's tag,
// else latest, else the only image).
std::string local_image_digest(Context& ctx, const std::string& tag, const std::string& ref_tag) {
  auto root = image::project_store_path(ctx.project_dir());
  if (!std::filesystem::exists(root / "index.json")) {
    throw Error(ErrorKind::kConfig, "no image store at " + root.string(),
                "build the image first: mlbox build");
  }
  image::OciLayout store(root, image::OciLayout::Mode::kReadOnly);
  return store.resolve(image::choose_image_tag(store, tag, ref_tag))->digest;
}

// Local data entries -> the output bucket (only changed files move); the job learns the
// URIs from MLBOX_DATA_SOURCES.
void stage_local_data(Context& ctx, const config::Settings& settings, jobs::JobSpec& spec) {
  bool local = false;
  for (const auto& d : spec.data) {
    local |= d.uri.rfind("s3://", 0) != 0 && d.uri.rfind("gs://", 0) != 0;
  }
  if (local) {
    // Blobs go under the configured output, shared by every job of the project (the job's
    // own outputs sit under <output>/<job id>).
    std::string base = settings.get("output");
    while (base.size() > 5 && base.back() == '/') base.pop_back();
    auto bucket = jobs::parse_bucket_uri(base);
    auto store = make_object_store(bucket.scheme, settings, ctx.observer());
    auto st = jobs::stage_data(*store, base, spec.data, ctx.project_dir(), ctx.observer());
    ctx.observer().info(fmt::format("data: {} files, {} uploaded ({:.1f} MB)", st.files,
                                    st.uploaded, static_cast<double>(st.bytes_uploaded) / 1e6));
  }
  if (!spec.data.empty()) spec.env[jobs::kDataSourcesEnv] = jobs::data_sources_env(spec.data);
}

void submit_cloud(Context& ctx, const SubmitFlags& f, const manifest::Manifest* m,
                  const config::Settings& settings, const std::string& target) {
  const std::string backend_name = backend_name_for_target(target);
  std::string repo = settings.get("image.repository");  // unset: reported with the rest
  const std::string id = jobs::new_job_id(backend_name);
  jobs::SpecInputs in;
  in.manifest = m;
  in.settings = &settings;
  in.target = target;
  in.job_id = id;
  in.command = f.command;
  in.env = f.env;
  // Check everything that needs no network before pushing anything.
  in.image_ref = repo;
  in.image_digest = "sha256:" + std::string(64, '0');
  jobs::make_job_spec(in);

  auto backend = make_cloud_backend(backend_name, settings, ctx.observer());
  if (f.dry_run) {
    std::string why;
    auto ref = manifest::parse_registry_reference(repo, &why);
    in.image_ref = ref ? ref->canonical() : repo;
    in.image_digest = local_image_digest(ctx, f.tag, ref ? ref->tag : std::string());
    jobs::JobSpec spec = jobs::make_job_spec(in);
    if (!spec.data.empty()) spec.env[jobs::kDataSourcesEnv] = jobs::data_sources_env(spec.data);
    ctx.print_json({{"dry_run", true},
                    {"backend", backend_name},
                    {"spec", spec.to_json()},
                    {"requests", backend->plan_requests(spec)}});
    return;
  }

  PushFlags push;
  push.reference = repo;
  push.tag = f.tag;
  push.registry = f.registry;
  registry::PushSummary pushed = push_project_image(ctx, push);
  ctx.observer().info(fmt::format("image {}@{} ({} blobs uploaded, {} already there)",
                                  pushed.reference, pushed.digest, pushed.blobs_uploaded,
                                  pushed.blobs_skipped));
  in.image_ref = pushed.reference;
  in.image_digest = pushed.digest;
  jobs::JobSpec spec = jobs::make_job_spec(in);
  stage_local_data(ctx, settings, spec);

  // The record is written only once the cloud has accepted the job: a refused submit
  // leaves no half-written history.
  jobs::SubmitResult result = backend->submit(spec);
  jobs::JobRecord r;
  r.id = id;
  r.name = spec.name;
  r.backend = backend_name;
  r.image_ref = spec.image_ref;
  r.image_digest = spec.image_digest;
  r.state = jobs::JobState::kSubmitted;
  r.output_dir = spec.output_uri;
  r.details = result.details;
  r.details["remote_id"] = result.remote_id;
  r.details["console_url"] = result.console_url;
  r.details["spec"] = spec.to_json();
  jobs::JobStore store;
  store.insert(r);
  ctx.observer().info(fmt::format("submitted {} as {} ({})", id, result.remote_id,
                                  result.console_url.empty() ? backend_name : result.console_url));

  if (f.follow) {
    jobs::JobRecord fin = stream_cloud_logs(
        store, *backend, store.resolve(id), true,
        [&](const std::string& line) {
          if (!ctx.options.json) ctx.print(line);
        },
        ctx.observer());
    if (ctx.options.json) ctx.print_json(fin.to_json());
    if (fin.state != jobs::JobState::kSucceeded) {
      throw Error(ErrorKind::kJobFailed,
                  fmt::format("job {} {}", fin.id, jobs::to_string(fin.state)),
                  "see mlbox status " + fin.id);
    }
    return;
  }
  if (ctx.options.json) {
    ctx.print_json(store.resolve(id).to_json());
  } else {
    ctx.print(id);
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
    if (target == "local") {
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
    submit_cloud(ctx, *f, m ? &*m : nullptr, settings, target);
  });
}

}  // namespace mlbox::cli
