#include <fmt/format.h>

#include <set>

#include "jobs/job_summary.h"
#include "report/report_render.h"
#include "report/svg_chart.h"

namespace mlbox::report {

namespace {

constexpr size_t kMaxRows = 12;

// Table cells: pipes and newlines would break the row.
std::string cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string tick(const std::string& s) {
  return s.empty() ? "-" : "`" + cell(s) + "`";
}

std::string value_at(const std::vector<MetricPoint>& points, double x) {
  for (const auto& p : points) {
    if (p.x == x) return fmt::format("{:.4g}", p.y);
  }
  return "";
}

// One table per chart: a row per x (at most kMaxRows, evenly spread, the last always kept).
std::string curve_table(const std::vector<RunCard>& cards, const std::string& chart) {
  std::vector<std::pair<std::string, const std::vector<MetricPoint>*>> columns;
  std::set<double> xs;
  std::string x_label;
  for (const auto& c : cards) {
    for (const auto& [metric, points] : c.metrics) {
      if (chart_of(metric) != chart) continue;
      if (x_label.empty()) x_label = c.x_axis;
      columns.push_back({cards.size() > 1 ? c.job_id + " " + metric : metric, &points});
      for (const auto& p : points) xs.insert(p.x);
    }
  }
  std::vector<double> all(xs.begin(), xs.end());
  std::vector<double> rows;
  if (all.size() <= kMaxRows) {
    rows = all;
  } else {
    for (size_t i = 0; i < kMaxRows; ++i)
      rows.push_back(all[i * (all.size() - 1) / (kMaxRows - 1)]);
  }
  std::string md = "| " + x_label;
  for (const auto& [name, _] : columns) md += " | " + cell(name);
  md += " |\n|---";
  for (size_t i = 0; i < columns.size(); ++i) md += "|---";
  md += "|\n";
  for (double x : rows) {
    md += "| " + fmt::format("{:g}", x);
    for (const auto& [_, points] : columns) md += " | " + value_at(*points, x);
    md += " |\n";
  }
  if (rows.size() < all.size()) {
    md += fmt::format("\n{} of {} points shown.\n", rows.size(), all.size());
  }
  return md;
}

}  // namespace

std::string render_markdown(const std::vector<RunCard>& cards, const SweepView* sweep) {
  std::string md =
      sweep ? fmt::format("## Sweep report: `{}` ({} trials)\n\n", sweep->id, sweep->trials.size())
      : cards.size() == 1 ? "## Run card: `" + cards[0].job_id + "`\n\n"
                          : fmt::format("## Run report: {} jobs\n\n", cards.size());
  if (sweep) md += sweep_section_markdown(*sweep);
  for (const auto& c : cards) {
    if (cards.size() > 1) md += "### `" + c.job_id + "`\n\n";
    md += "| | |\n|---|---|\n";
    md += "| state | **" + c.state + "** |\n";
    md += "| job | " + tick(c.job_id) + " " + cell(c.name) + " (" + c.backend + ") |\n";
    md += "| duration | " + jobs::format_duration(c.duration_s) + " |\n";
    md += "| cost | " + cell(format_cost(c)) + " |\n";
    md += "| machine | " + cell(c.machine) + " |\n";
    md += "| GPU (trainer's driver probe) | " + tick(c.device) + " |\n";
    md += "| image | " + tick(c.image_ref) + " " + tick(c.image_digest) + " |\n";
    md += "| lock digest | " + tick(c.lock_digest) + " |\n";
    md += "| base image | " + tick(c.base_image) + " |\n";
    std::string cmd;
    for (const auto& a : c.command) cmd += (cmd.empty() ? "" : " ") + a;
    md += "| train command | " + tick(cmd) + " |\n";
    if (!c.native_params.is_null() && !c.native_params.empty()) {
      md += "| native config | " + tick(c.native_params.dump()) + " |\n";
    }
    std::string env;
    for (const auto& [k, v] : c.env) env += (env.empty() ? "" : " ") + tick(k + "=" + v);
    md += "| environment | " + (env.empty() ? "-" : env) + " |\n\n";
    if (!c.attempts.empty()) {
      md += "| attempt | started | ended | outcome | exit code |\n|---|---|---|---|---|\n";
      for (const auto& a : c.attempts) {
        md += fmt::format("| {} | {} | {} | {} | {} |\n", a.number, a.started_at, a.ended_at,
                          a.outcome.empty() ? "running" : a.outcome,
                          a.exit_code ? std::to_string(*a.exit_code) : "-");
      }
      md += "\n";
    }
    if (c.metrics.empty()) {
      md += "No metrics: no metrics.jsonl, history.json or TensorBoard scalars in the outputs.\n\n";
    }
    for (const auto& p : c.problems) md += "- problem: " + cell(p) + "\n";
    if (!c.problems.empty()) md += "\n";
    uintmax_t total = 0;
    for (const auto& f : c.outputs) total += f.size;
    md += fmt::format("Outputs: {} files, {}.\n\n", c.outputs.size(), format_size(total));
  }
  for (const auto& chart : chart_names(cards)) {
    md += "#### " + chart + "\n\n" + curve_table(cards, chart) + "\n";
  }
  return md;
}

}  // namespace mlbox::report
