// mlbox run: the project's image from .mlbox/oci, as a job on this machine (runc; the
// host's mlbox-trainer only when asked with --no-runc). Exit 0 when the job succeeds, 7
// otherwise.
#include <cstdio>

#include <fmt/format.h>

#include "cli/ci_output.h"
#include "cli/commands.h"
#include "cli/run_local.h"
#include "cloud/local/local_backend.h"
#include "image/oci_layout.h"
#include "manifest/load.h"
#include "util/error.h"

namespace mlbox::cli {

namespace {

cloud::local::LocalJobOptions job_options(Context& ctx, const RunFlags& f) {
  for (const auto& kv : f.env) {
    if (kv.find('=') == std::string::npos || kv.front() == '=') {
      throw Error(ErrorKind::kUsage, "--env '" + kv + "' is not KEY=value");
    }
  }
  cloud::local::LocalJobOptions o;
  o.store = f.store.empty() ? image::project_store_path(ctx.project_dir())
                            : std::filesystem::absolute(f.store);
  auto project = std::filesystem::absolute(ctx.project_dir()).lexically_normal();
  if (project.filename().empty()) project = project.parent_path();
  o.name = project.filename().string();
  std::string named;  // mlbox.yaml's name
  if (std::filesystem::exists(ctx.manifest_path())) {
    named = manifest::load(ctx.manifest_path()).name;
    if (!named.empty()) o.name = named;
  }
  if (!std::filesystem::exists(o.store / "index.json")) {
    throw Error(ErrorKind::kConfig, "no image store at " + o.store.string(),
                "build the image first: mlbox build");
  }
  // --tag, else the tag named like mlbox.yaml's name, else latest, else the only image.
  o.tag = image::choose_image_tag(image::OciLayout(o.store, image::OciLayout::Mode::kReadOnly),
                                  f.tag, named);
  if (!f.output.empty()) o.output_dir = std::filesystem::absolute(f.output);
  if (!f.data.empty()) o.data_dir = std::filesystem::absolute(f.data);
  o.env = f.env;
  o.command = f.command;
  o.no_runc = f.no_runc;
  o.max_attempts = f.max_attempts;
  return o;
}

void print_line(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace

void run_local_job(Context& ctx, const RunFlags& f) {
  cloud::local::LocalJobOptions o = job_options(ctx, f);
  cloud::local::LocalBackend backend(ctx.observer());
  cloud::local::PreparedJob job = backend.prepare(o);
  const std::string id = job.record.id;
  if (f.detach) {
    backend.start_detached(job, o);
    report_job_to_ci(job.record);
    if (ctx.options.json) {
      ctx.print_json({{"id", id}, {"state", "QUEUED"}, {"output_dir", job.record.output_dir}});
    } else {
      ctx.print(id);
    }
    return;
  }
  ctx.observer().info(
      fmt::format("job {} ({})", id,
                  job.isolation == cloud::local::Isolation::kRunc ? "runc" : "host process"));
  jobs::JobState state =
      backend.run_attached(job, o, ctx.options.json ? +[](const std::string&) {} : print_line);
  auto record = jobs::JobStore().find(id);
  if (record) report_job_to_ci(*record);
  if (ctx.options.json && record) ctx.print_json(record->to_json());
  if (state != jobs::JobState::kSucceeded) {
    int code = record && !record->attempts.empty() && record->attempts.back().exit_code
                   ? *record->attempts.back().exit_code
                   : -1;
    throw Error(ErrorKind::kJobFailed,
                fmt::format("job {} {} (exit code {})", id, jobs::to_string(state), code),
                "see its output: mlbox logs " + id);
  }
  ctx.observer().info(fmt::format("job {} SUCCEEDED; outputs in {}", id, job.record.output_dir));
}

void set_run_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("run", "Run the training job on this machine");
  auto f = std::make_shared<RunFlags>();
  cmd->add_option("--tag", f->tag,
                  "Image tag in .mlbox/oci (default: mlbox.yaml's name, latest, or the "
                  "only tag)");
  cmd->add_option("-o,--output", f->output, "Output dir on the host (default: the job's dir)");
  cmd->add_option("--data", f->data, "Host data dir, read-only at /mlbox/data (MLBOX_DATA_DIR)");
  cmd->add_option("--store", f->store, "OCI layout to run from (default: .mlbox/oci)");
  cmd->add_option("-e,--env", f->env, "KEY=value for the job (repeatable)");
  cmd->add_flag("--no-runc", f->no_runc,
                "Run the image's command on this host as this user, outside any container, "
                "with the host's mlbox-trainer (also MLBOX_NO_RUNC=1); without runc a run is "
                "refused unless asked for this way");
  cmd->add_flag("-d,--detach", f->detach, "Start the job in the background and print its id");
  cmd->add_option("--max-attempts", f->max_attempts, "Attempts when preempted (default 3)")
      ->check(CLI::Range(1, 100));
  cmd->add_option("command", f->command, "Command instead of the image's (after --)");
  cmd->callback([&ctx, f] { run_local_job(ctx, *f); });
}

}  // namespace mlbox::cli
