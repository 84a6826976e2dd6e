// mlbox fetch JOB [-o DIR]: copy the job's outputs (model, checkpoints, history.json,
// tensorboard, summary.json) to DIR.
#include <fmt/format.h>

#include "cli/cloud_backends.h"
#include "cli/commands.h"
#include "jobs/job_store.h"
#include "util/error.h"

namespace mlbox::cli {

void set_fetch_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("fetch", "Copy a job's outputs to a local directory");
  auto id = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto checkpoints = std::make_shared<bool>(false);
  cmd->add_option("job", *id, "Job id (a unique prefix is enough)")->required();
  cmd->add_option("-o,--output", *out, "Destination (default: ./mlbox-output/<job id>)");
  cmd->add_flag("--checkpoints", *checkpoints, "Also fetch checkpoints (cloud jobs)");
  cmd->callback([&ctx, id, out, checkpoints] {
    namespace stdfs = std::filesystem;
    jobs::JobStore store;
    jobs::JobRecord r = store.resolve(*id);
    if (r.backend != "local") {
      stdfs::path dest =
          out->empty() ? ctx.project_dir() / "mlbox-output" / r.id : stdfs::path(*out);
      auto backend = make_cloud_backend(r.backend, settings_for_job(r), ctx.observer());
      auto files = backend->fetch(r, dest, *checkpoints);
      if (ctx.options.json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& p : files) arr.push_back(p.string());
        ctx.print_json({{"id", r.id}, {"dest", dest.string()}, {"files", arr}});
      } else {
        ctx.print(fmt::format("{}: {} files -> {}", r.id, files.size(), dest.string()));
      }
      return;
    }
    stdfs::path src = r.output_dir;
    if (!stdfs::is_directory(src)) {
      throw Error(ErrorKind::kConfig,
                  "the outputs of " + r.id + " are gone (" + src.string() + ")");
    }
    stdfs::path dest = out->empty() ? ctx.project_dir() / "mlbox-output" / r.id : stdfs::path(*out);
    stdfs::path tmp = dest;
    tmp += ".partial";
    std::error_code ec;
    stdfs::remove_all(tmp, ec);
    stdfs::create_directories(tmp);
    size_t files = 0;
    std::uintmax_t bytes = 0;
    for (auto it = stdfs::recursive_directory_iterator(src);
         it != stdfs::recursive_directory_iterator(); ++it) {
      stdfs::path rel = stdfs::relative(it->path(), src);
      if (it->is_directory() && !it->is_symlink()) {
        stdfs::create_directories(tmp / rel);
      } else if (it->is_symlink()) {
        stdfs::copy_symlink(it->path(), tmp / rel);
      } else if (it->is_regular_file()) {
        stdfs::copy_file(it->path(), tmp / rel, stdfs::copy_options::overwrite_existing);
        ++files;
        bytes += it->file_size();
      }
    }
    stdfs::remove_all(dest, ec);
    if (dest.has_parent_path()) stdfs::create_directories(dest.parent_path());
    stdfs::rename(tmp, dest);
    if (ctx.options.json) {
      ctx.print_json({{"id", r.id}, {"dest", dest.string()}, {"files", files}, {"bytes", bytes}});
      return;
    }
    ctx.print(fmt::format("{}: {} files, {} bytes -> {}", r.id, files, bytes, dest.string()));
  });
}

}  // namespace mlbox::cli
