// mlbox jobs: the job history ($MLBOX_HOME/jobs.db), newest first, with what each job ran
// on, how long it took and what it cost by the catalog's list prices. A local sweep's trial
// jobs are listed under their sweep; cloud sweeps (one array or tuning job) get a line each.
#include <ctime>
#include <map>
#include <set>

#include <fmt/format.h>

#include "backends/job_backends.h"
#include "cli/commands.h"
#include "jobs/job_summary.h"
#include "sweep/sweep_record.h"

namespace mlbox::cli {

void set_jobs_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("jobs", "List jobs");
  auto limit = std::make_shared<size_t>(20);
  auto all = std::make_shared<bool>(false);
  cmd->add_option("-n,--limit", *limit, "Show at most N jobs (default 20)");
  cmd->add_flag("-a,--all", *all, "Show every job");
  cmd->callback([&ctx, limit, all] {
    jobs::JobStore store;
    auto list = backends::list_jobs(store, *all ? 0 : *limit);
    const int64_t now = std::time(nullptr);
    // job id -> (sweep, trial), from the sweeps' records
    std::map<std::string, std::pair<std::string, std::string>> trial_of;
    auto sweeps = sweep::SweepStore().list();
    for (const auto& sw : sweeps) {
      if (sw.backend != "local") continue;
      for (const auto& t : sw.trials) {
        if (!t.job_id.empty()) trial_of[t.job_id] = {sw.id, t.id};
      }
    }
    if (ctx.options.json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& r : list) {
        auto j = r.to_json();
        j["machine"] = jobs::machine_of(r);
        int64_t d = jobs::duration_seconds(r, now);
        j["duration_seconds"] = d < 0 ? nlohmann::json(nullptr) : nlohmann::json(d);
        auto c = jobs::cost_of(r, now);
        j["estimated_cost_usd"] = c ? nlohmann::json(*c) : nlohmann::json(nullptr);
        if (auto it = trial_of.find(r.id); it != trial_of.end()) {
          j["sweep"] = it->second.first;
          j["trial"] = it->second.second;
        }
        arr.push_back(j);
      }
      ctx.print_json(arr);
      return;
    }
    if (list.empty() && sweeps.empty()) {
      ctx.print("no jobs yet (start one with: mlbox run, or mlbox submit)");
      return;
    }
    const char* row = "{:<17} {:<26} {:<16} {:<9} {:<22} {:<10} {:>3} {:>7} {:>8}\n";
    std::string out = fmt::format(fmt::runtime(row), "CREATED", "ID", "NAME", "BACKEND", "MACHINE",
                                  "STATE", "ATT", "TIME", "COST");
    auto line = [&](const jobs::JobRecord& r, const std::string& indent) {
      auto c = jobs::cost_of(r, now);
      std::string created = r.created_at.substr(0, 16);
      if (created.size() > 10) created[10] = ' ';
      out += fmt::format(fmt::runtime(row), created, indent + r.id,
                         r.name.substr(0, 16 - std::min<size_t>(16, indent.size())), r.backend,
                         jobs::machine_of(r).substr(0, 22), jobs::to_string(r.state),
                         r.attempts.size(), jobs::format_duration(jobs::duration_seconds(r, now)),
                         c ? fmt::format("${:.2f}", *c) : "-");
    };
    std::set<std::string> shown;
    for (const auto& r : list) {
      auto it = trial_of.find(r.id);
      if (it == trial_of.end()) {
        line(r, "");
        continue;
      }
      if (!shown.insert(it->second.first).second) continue;
      // The sweep's line, then every trial job of it in this listing.
      for (const auto& sw : sweeps) {
        if (sw.id != it->second.first) continue;
        out += fmt::format("sweep {} ({} trials, {} {}): {}\n", sw.id, sw.trials.size(),
                           sw.spec.maximize ? "max" : "min", sw.spec.metric, sw.state);
      }
      for (const auto& t : list) {
        auto jt = trial_of.find(t.id);
        if (jt != trial_of.end() && jt->second.first == it->second.first) line(t, "  ");
      }
    }
    for (const auto& sw : sweeps) {
      if (sw.backend == "local") continue;
      out +=
          fmt::format("sweep {} ({}, {}, {} trials, {} {}): {}\n", sw.id, sw.backend, sw.remote_id,
                      sw.trials.size(), sw.spec.maximize ? "max" : "min", sw.spec.metric, sw.state);
    }
    ctx.print(out);
  });
}

}  // namespace mlbox::cli
