// mlbox jobs: the job history ($MLBOX_HOME/jobs.db), newest first, with what each job ran
// on, how long it took and what it cost by the catalog's list prices.
#include <ctime>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cloud/local/local_runner.h"
#include "jobs/job_store.h"
#include "jobs/spec_builder.h"

namespace mlbox::cli {

namespace {

// Seconds since the epoch of an RFC 3339 UTC time "2026-11-22T18:01:02Z"; -1 if malformed.
int64_t epoch_of(const std::string& t) {
  std::tm tm{};
  if (t.size() < 19 || !strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return -1;
  return static_cast<int64_t>(timegm(&tm));
}

// Wall time of the job's attempts (to now while one runs); -1 when it has not started.
int64_t duration_seconds(const jobs::JobRecord& r) {
  if (r.attempts.empty()) return -1;
  int64_t start = epoch_of(r.attempts.front().started_at);
  const auto& last = r.attempts.back();
  int64_t end = last.ended_at.empty()
                    ? (jobs::is_terminal(r.state) ? epoch_of(r.updated_at) : std::time(nullptr))
                    : epoch_of(last.ended_at);
  if (start < 0 || end < start) return -1;
  return end - start;
}

std::string format_duration(int64_t s) {
  if (s < 0) return "-";
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

std::string machine_of(const jobs::JobRecord& r) {
  if (r.backend == "local") return "this machine";
  const auto& spec = r.details.value("spec", nlohmann::json::object());
  std::string m = spec.value("machine", "");
  std::string gpu = spec.value("gpu_type", "");
  int count = spec.value("gpu_count", 0);
  if (m.empty()) m = "default";
  if (!gpu.empty()) m += fmt::format(" {}x{}", gpu, count);
  if (spec.value("spot", false)) m += " spot";
  return m;
}

std::optional<double> cost_of(const jobs::JobRecord& r) {
  if (r.backend == "local" || !r.details.contains("spec")) return std::nullopt;
  int64_t s = duration_seconds(r);
  if (s < 0) return std::nullopt;
  return jobs::estimated_cost(jobs::JobSpec::from_json(r.details["spec"]), r.backend,
                              static_cast<double>(s) / 3600.0);
}

}  // namespace

void set_jobs_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("jobs", "List jobs");
  auto limit = std::make_shared<size_t>(20);
  auto all = std::make_shared<bool>(false);
  cmd->add_option("-n,--limit", *limit, "Show at most N jobs (default 20)");
  cmd->add_flag("-a,--all", *all, "Show every job");
  cmd->callback([&ctx, limit, all] {
    jobs::JobStore store;
    auto list = store.list(*all ? 0 : *limit);
    for (auto& r : list) local::reconcile_local_job(store, r);
    if (ctx.options.json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& r : list) {
        auto j = r.to_json();
        j["machine"] = machine_of(r);
        int64_t d = duration_seconds(r);
        j["duration_seconds"] = d < 0 ? nlohmann::json(nullptr) : nlohmann::json(d);
        auto c = cost_of(r);
        j["estimated_cost_usd"] = c ? nlohmann::json(*c) : nlohmann::json(nullptr);
        arr.push_back(j);
      }
      ctx.print_json(arr);
      return;
    }
    if (list.empty()) {
      ctx.print("no jobs yet (start one with: mlbox run, or mlbox submit)");
      return;
    }
    const char* row = "{:<17} {:<26} {:<16} {:<9} {:<22} {:<10} {:>3} {:>7} {:>8}\n";
    std::string out = fmt::format(fmt::runtime(row), "CREATED", "ID", "NAME", "BACKEND", "MACHINE",
                                  "STATE", "ATT", "TIME", "COST");
    for (const auto& r : list) {
      auto c = cost_of(r);
      std::string created = r.created_at.substr(0, 16);
      if (created.size() > 10) created[10] = ' ';
      out +=
          fmt::format(fmt::runtime(row), created, r.id, r.name.substr(0, 16), r.backend,
                      machine_of(r).substr(0, 22), jobs::to_string(r.state), r.attempts.size(),
                      format_duration(duration_seconds(r)), c ? fmt::format("${:.2f}", *c) : "-");
    }
    ctx.print(out);
  });
}

}  // namespace mlbox::cli
