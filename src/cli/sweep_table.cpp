#include "cli/sweep_table.h"

#include <algorithm>

#include <fmt/format.h>

#include "jobs/job_summary.h"
#include "sweep/trial_ranking.h"

namespace mlbox::cli {

std::string render_sweep_table(const sweep::SweepRecord& r) {
  std::vector<std::string> names;
  for (const auto& p : r.spec.params) names.push_back(p.name);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head = {"", "TRIAL"};
  for (const auto& n : names) head.push_back(n);
  for (const char* h : {r.spec.metric.c_str(), "STATE", "TIME", "COST"}) head.push_back(h);
  rows.push_back(head);
  auto best = sweep::best_trial(r);
  for (size_t i : sweep::ranked_trials(r)) {
    const auto& t = r.trials[i];
    std::vector<std::string> row = {best && *best == i ? "*" : "", t.id};
    for (const auto& n : names) {
      auto it = t.values.find(n);
      row.push_back(it == t.values.end() ? "-" : it->second);
    }
    bool ended = sweep::is_terminal_trial_state(t.state);
    row.push_back(t.metric                          ? fmt::format("{:.6g}", *t.metric)
                  : ended && t.state != "CANCELLED" ? "no metric"
                                                    : "-");
    row.push_back(t.state);
    row.push_back(t.started_at.empty()
                      ? "-"
                      : jobs::format_duration(static_cast<int64_t>(t.duration_seconds())));
    row.push_back(t.cost ? fmt::format("${:.2f}", *t.cost) : "-");
    rows.push_back(std::move(row));
  }
  std::vector<size_t> width(head.size(), 0);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::string out = fmt::format("sweep {} ({}, {} {} {}, {} trials): {}\n", r.id, r.backend,
                                r.spec.maximize ? "max" : "min", r.spec.metric,
                                manifest::to_string(r.spec.algorithm), r.trials.size(), r.state);
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += fmt::format("{:<{}}", row[c], width[c]);
      if (c + 1 < row.size()) line += c == 0 ? " " : "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  if (best) {
    const auto& t = r.trials[*best];
    out += fmt::format("best: {} {} {:.6g} ({})\n", t.id, r.spec.metric, *t.metric, t.output);
  }
  std::string note = sweep::missing_metric_note(r);
  if (!note.empty()) out += note + "\n";
  for (const auto& t : r.trials) {
    if (!t.message.empty() && t.state != "SUCCEEDED")
      out += fmt::format("{}: {}\n", t.id, t.message);
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace mlbox::cli
