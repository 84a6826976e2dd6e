#include <fmt/format.h>

#include <algorithm>

#include "jobs/job_summary.h"
#include "report/report_render.h"
#include "report/svg_chart.h"
#include "util/utc_time.h"

namespace mlbox::report {

namespace {

constexpr const char* kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}
h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f6f6}code{font:12px ui-monospace,monospace;background:#f4f4f4;padding:1px 3px;word-break:break-all}
.charts{display:flex;flex-wrap:wrap;gap:12px}
svg.chart{border:1px solid #e4e4e4;background:#fff}
svg .grid{stroke:#eee}svg .frame{fill:none;stroke:#999}
svg text{font:11px system-ui,sans-serif;fill:#444}svg .title{font-size:13px;font-weight:600;fill:#222}
svg .best-label{font-weight:600;fill:#9a6700}
svg .ytick{text-anchor:end}svg .xtick,svg .xlabel{text-anchor:middle}
.outcome-succeeded{color:#1a7f37}.outcome-failed{color:#cf222e}.outcome-preempted{color:#9a6700}
.problems{color:#9a6700}.muted{color:#777}
)";

std::string e(const std::string& s) {
  return escape_html(s);
}

std::string row(const std::string& k, const std::string& v_html) {
  return "<tr><th>" + e(k) + "</th><td>" + v_html + "</td></tr>\n";
}

std::string code(const std::string& s) {
  return s.empty() ? "<span class=\"muted\">-</span>" : "<code>" + e(s) + "</code>";
}

std::string join_command(const std::vector<std::string>& cmd) {
  std::string out;
  for (const auto& c : cmd) {
    if (!out.empty()) out += ' ';
    out += c.find_first_of(" \t\"'") == std::string::npos ? c : "'" + c + "'";
  }
  return out;
}

std::string outcome_color(const std::string& outcome) {
  if (outcome == "succeeded") return "#2da44e";
  if (outcome == "preempted") return "#d4a72c";
  if (outcome == "stopped") return "#9a6700";  // stopped early by the sweep's rule
  if (outcome.empty()) return "#8c959f";
  return "#cf222e";
}

// One bar per attempt on a shared time axis.
std::string timeline_svg(const RunCard& c) {
  int64_t t0 = -1, t1 = -1;
  for (const auto& a : c.attempts) {
    int64_t s = parse_rfc3339(a.started_at), en = parse_rfc3339(a.ended_at);
    if (s >= 0 && (t0 < 0 || s < t0)) t0 = s;
    if (en >= 0 && en > t1) t1 = en;
    if (s >= 0 && s > t1) t1 = s;
  }
  if (t0 < 0) return "";
  double span = std::max<double>(1, static_cast<double>(t1 - t0));
  const double w = 640, left = 90, bar = 18;
  std::string svg =
      fmt::format("<svg class=\"timeline\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\">\n", w,
                  10 + bar * 1.5 * c.attempts.size(), w, 10 + bar * 1.5 * c.attempts.size());
  double y = 6;
  for (const auto& a : c.attempts) {
    int64_t s = parse_rfc3339(a.started_at), en = parse_rfc3339(a.ended_at);
    if (s < 0) s = t0;
    if (en < s) en = s;
    double x = left + (static_cast<double>(s - t0) / span) * (w - left - 10);
    double bw = std::max(3.0, static_cast<double>(en - s) / span * (w - left - 10));
    svg += fmt::format(
        "<text x=\"4\" y=\"{:.1f}\">attempt {}</text><rect class=\"attempt\" data-attempt=\"{}\" "
        "data-outcome=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\">"
        "<title>attempt {}: {} ({}s)</title></rect>\n",
        y + 13, a.number, a.number, e(a.outcome), x, y, bw, bar, outcome_color(a.outcome), a.number,
        e(a.outcome.empty() ? "running" : a.outcome), en - s);
    y += bar * 1.5;
  }
  return svg + "</svg>\n";
}

std::string facts_html(const RunCard& c) {
  std::string h = "<table class=\"facts\">\n";
  h += row("job", code(c.job_id) + " " + e(c.name) + " (" + e(c.backend) + ")");
  h += row("state", "<b>" + e(c.state) + "</b>");
  h += row("created", e(c.created_at));
  h += row("duration", e(jobs::format_duration(c.duration_s)));
  h += row("cost", e(format_cost(c)));
  h += row("machine", e(c.machine));
  h += row("GPU (trainer's driver probe)", code(c.device));
  h += row("image", code(c.image_ref) + "<br>" + code(c.image_digest));
  h += row("lock digest", code(c.lock_digest));
  h += row("base image", code(c.base_image));
  h += row("train command", code(join_command(c.command)));
  if (!c.native_params.is_null() && !c.native_params.empty()) {
    h += row("native config", code(c.native_params.dump()));
  }
  std::string env;
  for (const auto& [k, v] : c.env) env += code(k + "=" + v) + "<br>";
  h += row("environment", env.empty() ? code("") : env);
  return h + "</table>\n";
}

std::string attempts_html(const RunCard& c) {
  if (c.attempts.empty()) return "<p class=\"muted\">No attempt has started.</p>\n";
  std::string h = timeline_svg(c);
  h += "<table class=\"attempts\"><tr><th>attempt</th><th>started</th><th>ended</th>"
       "<th>outcome</th><th>exit code</th><th>notes</th></tr>\n";
  for (const auto& a : c.attempts) {
    std::string notes;
    if (a.child_signal) notes += "killed by signal " + std::to_string(a.child_signal) + ". ";
    if (a.killed_after_grace) notes += "killed after the grace period. ";
    if (a.outcome == "preempted")
      notes += "preempted; the next attempt resumes from its checkpoint. ";
    if (a.duration_s >= 0) notes += fmt::format("ran {:.1f}s.", a.duration_s);
    h += fmt::format(
        "<tr data-attempt=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"outcome-{}\">{}</td>"
        "<td>{}</td><td>{}</td></tr>\n",
        a.number, a.number, e(a.started_at), e(a.ended_at), e(a.outcome),
        e(a.outcome.empty() ? "running" : a.outcome),
        a.exit_code ? std::to_string(*a.exit_code) : "-", e(notes));
  }
  return h + "</table>\n";
}

std::string outputs_html(const RunCard& c) {
  if (c.outputs.empty()) return "<p class=\"muted\">No output files.</p>\n";
  std::string h = "<table class=\"outputs\"><tr><th>file</th><th>size</th></tr>\n";
  uintmax_t total = 0;
  for (const auto& f : c.outputs) {
    h += "<tr><td>" + code(f.path) + "</td><td>" + e(format_size(f.size)) + "</td></tr>\n";
    total += f.size;
  }
  h += "<tr><th>" + std::to_string(c.outputs.size()) + " files</th><th>" + e(format_size(total)) +
       "</th></tr>\n";
  return h + "</table>\n";
}

std::string charts_html(const std::vector<RunCard>& cards) {
  std::string h;
  for (const auto& name : chart_names(cards)) {
    std::vector<ChartLine> lines;
    std::string x_label;
    for (size_t i = 0; i < cards.size(); ++i) {
      for (const auto& [metric, points] : cards[i].metrics) {
        if (chart_of(metric) != name) continue;
        if (x_label.empty()) x_label = cards[i].x_axis;
        lines.push_back(
            {cards[i].job_id, metric, static_cast<int>(i), metric.rfind("val_", 0) == 0, points});
      }
    }
    h += render_svg_chart(name, x_label, lines);
  }
  return h;
}

}  // namespace

std::string render_html(const std::vector<RunCard>& cards, const std::string& generated_at,
                        const SweepView* sweep) {
  std::string title = sweep ? "Sweep report: " + sweep->id + " (" +
                                  std::to_string(sweep->trials.size()) + " trials)"
                      : cards.size() == 1 ? "Run card: " + cards[0].job_id
                                          : "Run report: " + std::to_string(cards.size()) + " jobs";
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
                  e(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  h += "<h1>" + e(title) + "</h1>\n<p class=\"muted\">Written by mlbox " + e(MLBOX_VERSION) +
       " at " + e(generated_at) + ". Curves: solid = train, dashed = validation.</p>\n";
  if (sweep) h += sweep_section_html(*sweep);
  h += "<h2>Metrics</h2>\n";
  for (const auto& c : cards) {
    if (c.metrics.empty()) {
      h += "<p class=\"no-metrics\">" + e(c.job_id) +
           ": no metrics (no metrics.jsonl, history.json or TensorBoard scalars in its "
           "outputs).</p>\n";
    }
  }
  h += "<div class=\"charts\">\n" + charts_html(cards) + "</div>\n";
  for (const auto& c : cards) {
    h += "<section class=\"job\" data-job=\"" + e(c.job_id) + "\">\n<h2>" + e(c.job_id) + "</h2>\n";
    h += facts_html(c);
    h += "<h3>Attempts</h3>\n" + attempts_html(c);
    if (!c.metrics.empty()) {
      h += "<p class=\"muted\">Metrics from " + e(c.metrics_source) + ", by " + e(c.x_axis) +
           ".</p>\n";
    }
    if (!c.problems.empty()) {
      h += "<h3>Problems reading the outputs</h3>\n<ul class=\"problems\">\n";
      for (const auto& p : c.problems) h += "<li>" + e(p) + "</li>\n";
      h += "</ul>\n";
    }
    h += "<h3>Outputs</h3>\n" + outputs_html(c) + "</section>\n";
  }
  return h + "</body>\n</html>\n";
}

}  // namespace mlbox::report
