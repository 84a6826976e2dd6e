// mlbox logs JOB [-f]: the job's output, every attempt in order; -f follows until it ends.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "cli/cloud_backends.h"
#include "cli/commands.h"
#include "cloud/local/local_runner.h"
#include "jobs/job_store.h"
#include "util/error.h"

namespace mlbox::cli {

namespace {

// Copies what `path` holds beyond `offset` to stdout; returns the new offset.
std::uintmax_t copy_from(const std::filesystem::path& path, std::uintmax_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return offset;
  in.seekg(static_cast<std::streamoff>(offset));
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    std::fwrite(buf, 1, static_cast<size_t>(in.gcount()), stdout);
    offset += static_cast<std::uintmax_t>(in.gcount());
  }
  std::fflush(stdout);
  return offset;
}

}  // namespace

void set_logs_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("logs", "Print a job's output (-f: follow)");
  auto id = std::make_shared<std::string>();
  auto follow = std::make_shared<bool>(false);
  cmd->add_option("job", *id, "Job id (a unique prefix is enough)")->required();
  cmd->add_flag("-f,--follow", *follow, "Keep printing until the job ends");
  cmd->callback([&ctx, id, follow] {
    jobs::JobStore store;
    jobs::JobRecord r = store.resolve(*id);
    if (r.backend != "local") {
      auto backend = make_cloud_backend(r.backend, settings_for_job(r), ctx.observer());
      if (ctx.options.json) {
        nlohmann::json arr = nlohmann::json::array();
        std::vector<jobs::LogLine> lines;
        backend->read_logs(r, "", lines);
        for (const auto& l : lines) {
          arr.push_back({{"attempt", l.attempt}, {"timestamp", l.timestamp}, {"text", l.text}});
        }
        ctx.print_json({{"id", r.id}, {"state", jobs::to_string(r.state)}, {"lines", arr}});
        return;
      }
      stream_cloud_logs(
          store, *backend, r, *follow,
          [](const std::string& line) {
            std::fwrite(line.data(), 1, line.size(), stdout);
            std::fputc('\n', stdout);
            std::fflush(stdout);
          },
          ctx.observer());
      return;
    }
    std::filesystem::path job_dir = r.details.value("job_dir", "");
    if (ctx.options.json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& p : local::attempt_logs(job_dir)) {
        std::ifstream in(p, std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        arr.push_back({{"log", p.string()}, {"text", text}});
      }
      ctx.print_json({{"id", r.id}, {"state", jobs::to_string(r.state)}, {"attempts", arr}});
      return;
    }
    size_t printed_logs = 0;
    std::uintmax_t offset = 0;
    for (;;) {
      auto logs = local::attempt_logs(job_dir);
      // Finish the log being followed, then move to the next ones.
      while (printed_logs < logs.size()) {
        offset = copy_from(logs[printed_logs], offset);
        if (printed_logs + 1 < logs.size()) {
          ++printed_logs;
          offset = 0;
        } else {
          break;
        }
      }
      if (!*follow) break;
      auto now = store.find(r.id);
      if (!now || jobs::is_terminal(now->state)) {
        logs = local::attempt_logs(job_dir);
        if (!logs.empty()) {
          while (printed_logs < logs.size()) {
            offset = copy_from(logs[printed_logs], offset);
            if (++printed_logs < logs.size()) offset = 0;
          }
        }
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
}

}  // namespace mlbox::cli
