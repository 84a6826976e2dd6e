#include "report/sweep_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "report/svg_chart.h"
#include "sweep/trial_ranking.h"

namespace mlbox::report {

namespace {

constexpr double kWidth = 640, kHeight = 330, kLeft = 64, kRight = 16, kTop = 28, kBottom = 80;
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;
constexpr double kMissRow = kTop + kPlotH + 40;  // the "no metric" row under the x ticks

std::string e(const std::string& s) {
  return escape_html(s);
}

std::optional<double> number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

const char* state_color(const TrialDot& t) {
  if (t.state == "SUCCEEDED") return "#1f77b4";
  if (t.state == "STOPPED") return "#9a6700";
  if (t.state == "FAILED" || t.state == "CANCELLED") return "#cf222e";
  return "#8c959f";  // running, queued
}

// Where a value sits on the x axis, as a fraction 0..1 of the plot's width; empty when the
// value does not fit the axis (not a number on a numeric axis, not a listed category).
struct XAxis {
  const ParamAxis& axis;
  double lo = 0, hi = 1;

  XAxis(const ParamAxis& a, const std::vector<TrialDot>& trials) : axis(a) {
    if (a.scale == AxisScale::kCategories) return;
    double mn = std::numeric_limits<double>::infinity(), mx = -mn;
    for (const auto& t : trials) {
      auto it = t.values.find(a.name);
      if (it == t.values.end()) continue;
      auto v = number(it->second);
      if (!v || (a.scale == AxisScale::kLog && *v <= 0)) continue;
      double x = a.scale == AxisScale::kLog ? std::log10(*v) : *v;
      mn = std::min(mn, x);
      mx = std::max(mx, x);
    }
    if (!std::isfinite(mn)) mn = 0, mx = 1;
    if (mx == mn) mn -= 0.5, mx += 0.5;
    double pad = (mx - mn) * 0.06;
    lo = mn - pad;
    hi = mx + pad;
  }

  std::optional<double> fraction(const std::string& value) const {
    if (axis.scale == AxisScale::kCategories) {
      auto it = std::find(axis.categories.begin(), axis.categories.end(), value);
      if (it == axis.categories.end()) return std::nullopt;
      double i = static_cast<double>(it - axis.categories.begin());
      return (i + 0.5) / static_cast<double>(axis.categories.size());
    }
    auto v = number(value);
    if (!v || (axis.scale == AxisScale::kLog && *v <= 0)) return std::nullopt;
    double x = axis.scale == AxisScale::kLog ? std::log10(*v) : *v;
    return (x - lo) / (hi - lo);
  }

  // Tick positions (fractions) and labels.
  std::vector<std::pair<double, std::string>> ticks() const {
    std::vector<std::pair<double, std::string>> out;
    if (axis.scale == AxisScale::kCategories) {
      for (const auto& c : axis.categories) out.push_back({*fraction(c), c});
    } else if (axis.scale == AxisScale::kLog) {
      for (double d = std::ceil(lo); d <= std::floor(hi); d += 1) {
        out.push_back({(d - lo) / (hi - lo), fmt::format("{:g}", std::pow(10.0, d))});
      }
      if (out.size() < 2) {  // less than a decade: the ends
        out = {{0.0, fmt::format("{:.3g}", std::pow(10.0, lo))},
               {1.0, fmt::format("{:.3g}", std::pow(10.0, hi))}};
      }
    } else {
      for (int i = 0; i <= 4; ++i) {
        double x = lo + (hi - lo) * i / 4;
        out.push_back({static_cast<double>(i) / 4, fmt::format("{:.4g}", x)});
      }
    }
    return out;
  }
};

}  // namespace

SweepView sweep_view(const sweep::SweepRecord& record) {
  SweepView v;
  v.id = record.id;
  v.backend = record.backend;
  v.metric = record.spec.metric;
  v.maximize = record.spec.maximize;
  for (const auto& p : record.spec.params) {
    ParamAxis a;
    a.name = p.name;
    if (p.kind == manifest::ParamKind::kValues) {
      a.scale = AxisScale::kCategories;
      a.categories = p.values;
    } else {
      a.scale = p.log ? AxisScale::kLog : AxisScale::kLinear;
    }
    v.params.push_back(std::move(a));
  }
  auto best = sweep::best_trial(record);
  for (size_t i : sweep::ranked_trials(record)) {
    const auto& t = record.trials[i];
    v.trials.push_back({t.id, t.values, t.metric, t.state, t.message, best && *best == i});
  }
  v.note = sweep::missing_metric_note(record);
  return v;
}

RunCard load_trial_card(const sweep::SweepRecord& record, const sweep::TrialRecord& trial,
                        const std::filesystem::path& outputs, int64_t now) {
  jobs::JobRecord job;
  job.id = record.id + "/" + trial.id;
  job.name = record.name + " " + trial.id + (trial.job_id.empty() ? "" : " (" + trial.job_id + ")");
  job.backend = record.backend;
  job.output_dir = trial.output;
  job.created_at = trial.started_at;
  if (record.details.contains("spec")) {
    job.details["spec"] = record.details["spec"];
    job.image_ref = record.details["spec"].value("image_ref", "");
    job.image_digest = record.details["spec"].value("image_digest", "");
  }
  RunCard card = load_run_card(job, outputs, now);
  card.state = trial.state;
  if (card.attempts.empty() && !trial.started_at.empty()) {
    AttemptRow a;
    a.number = 1;
    a.started_at = trial.started_at;
    a.ended_at = trial.ended_at;
    if (trial.state == "SUCCEEDED") a.outcome = "succeeded";
    if (trial.state == "FAILED") a.outcome = "failed";
    if (trial.state == "CANCELLED") a.outcome = "cancelled";
    if (trial.state == "STOPPED") a.outcome = "stopped early";
    card.attempts.push_back(a);
  }
  card.duration_s = static_cast<int64_t>(trial.duration_seconds());
  if (trial.cost) {
    card.cost_usd = trial.cost;
    card.billed_s = card.duration_s;
    card.price_note = "catalog price";
  }
  return card;
}

std::string render_param_chart(const SweepView& view, const ParamAxis& axis) {
  XAxis x(axis, view.trials);
  double y0 = std::numeric_limits<double>::infinity(), y1 = -y0;
  for (const auto& t : view.trials) {
    if (!t.metric || !t.values.count(axis.name)) continue;
    y0 = std::min(y0, *t.metric);
    y1 = std::max(y1, *t.metric);
  }
  if (!std::isfinite(y0)) y0 = 0, y1 = 1;
  if (y1 == y0) y0 -= std::max(1e-9, std::abs(y0) * 0.1), y1 += std::max(1e-9, std::abs(y1) * 0.1);
  double pad = (y1 - y0) * 0.08;
  y0 -= pad;
  y1 += pad;
  auto sx = [&](double f) { return kLeft + f * kPlotW; };
  auto sy = [&](double y) { return kTop + (1 - (y - y0) / (y1 - y0)) * kPlotH; };
  const char* scale = axis.scale == AxisScale::kLog          ? "log"
                      : axis.scale == AxisScale::kCategories ? "categories"
                                                             : "linear";
  std::string title = axis.name + " vs " + view.metric;
  std::string svg = fmt::format(
      "<svg class=\"chart param-chart\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" "
      "role=\"img\" data-param=\"{}\" data-scale=\"{}\" data-plot=\"{} {} {} {}\">\n"
      "<title>{}</title>\n<text x=\"{}\" y=\"18\" class=\"title\">{}</text>\n",
      kWidth, kHeight, kWidth, kHeight, e(axis.name), scale, kLeft, kTop, kPlotW, kPlotH, e(title),
      kLeft, e(title));
  for (int i = 0; i <= 4; ++i) {
    double yv = y0 + (y1 - y0) * i / 4;
    svg += fmt::format(
        "<line class=\"grid\" x1=\"{:.1f}\" y1=\"{:.2f}\" x2=\"{:.1f}\" y2=\"{:.2f}\"/>"
        "<text class=\"ytick\" x=\"{:.1f}\" y=\"{:.2f}\">{:.4g}</text>\n",
        kLeft, sy(yv), kWidth - kRight, sy(yv), kLeft - 6, sy(yv) + 4, yv);
  }
  for (const auto& [f, label] : x.ticks()) {
    svg += fmt::format(
        "<line class=\"grid\" x1=\"{:.2f}\" y1=\"{}\" x2=\"{:.2f}\" y2=\"{}\"/>"
        "<text class=\"xtick\" x=\"{:.2f}\" y=\"{}\">{}</text>\n",
        sx(f), kTop, sx(f), kTop + kPlotH, sx(f), kTop + kPlotH + 16, e(label));
  }
  svg += fmt::format(
      "<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n"
      "<text class=\"ytick\" x=\"{}\" y=\"{}\">no metric</text>\n"
      "<text class=\"xlabel\" x=\"{:.1f}\" y=\"{}\">{}{}</text>\n",
      kLeft, kTop, kPlotW, kPlotH, kLeft - 6, kMissRow + 4, kLeft + kPlotW / 2, kHeight - 8,
      e(axis.name), axis.scale == AxisScale::kLog ? " (log scale)" : "");
  // Best last, so that it is drawn on top.
  std::vector<const TrialDot*> order;
  for (const auto& t : view.trials) {
    if (!t.best) order.push_back(&t);
  }
  for (const auto& t : view.trials) {
    if (t.best) order.push_back(&t);
  }
  for (const TrialDot* t : order) {
    auto it = t->values.find(axis.name);
    if (it == t->values.end()) continue;  // not started: the engine has not chosen its values
    auto f = x.fraction(it->second);
    if (!f) continue;
    const char* color = state_color(*t);
    std::string tip = t->trial + " " + axis.name + "=" + it->second + ": " +
                      (t->metric ? view.metric + " " + exact_number(*t->metric) : "no metric") +
                      " (" + t->state + (t->best ? ", best" : "") + ")" +
                      (t->message.empty() ? "" : " " + t->message);
    if (!t->metric) {
      double cx = sx(*f), cy = kMissRow;
      svg += fmt::format(
          "<path class=\"trial-miss\" d=\"M{:.2f} {:.2f}l8 8m0 -8l-8 8\" stroke=\"{}\" "
          "stroke-width=\"2\" data-trial=\"{}\" data-param=\"{}\" data-x=\"{}\" "
          "data-state=\"{}\" data-cx=\"{:.2f}\"><title>{}</title></path>\n",
          cx - 4, cy - 4, color, e(t->trial), e(axis.name), e(it->second), e(t->state), cx, e(tip));
      continue;
    }
    double cx = sx(*f), cy = sy(*t->metric);
    if (t->best) {
      svg += fmt::format(
          "<circle class=\"best-ring\" cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"9\" fill=\"none\" "
          "stroke=\"#d4a72c\" stroke-width=\"2.5\"/><text class=\"best-label\" x=\"{:.2f}\" "
          "y=\"{:.2f}\">best</text>\n",
          cx, cy, cx + 11, cy - 8);
    }
    const bool hollow = t->state != "SUCCEEDED";
    svg += fmt::format(
        "<circle class=\"trial-pt{}\" cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"{}\" fill=\"{}\" "
        "stroke=\"{}\" stroke-width=\"2\" data-trial=\"{}\" data-param=\"{}\" data-x=\"{}\" "
        "data-y=\"{}\" data-state=\"{}\"><title>{}</title></circle>\n",
        t->best ? " best" : "", cx, cy, t->best ? 6 : 4.5, hollow ? "#fff" : color, color,
        e(t->trial), e(axis.name), e(it->second), exact_number(*t->metric), e(t->state), e(tip));
  }
  return svg + "</svg>\n";
}

std::string sweep_section_html(const SweepView& view) {
  std::string h = "<section class=\"sweep\" data-sweep=\"" + e(view.id) +
                  "\">\n<h2>Parameters vs " + e(view.metric) + " (" +
                  (view.maximize ? "max" : "min") + ")</h2>\n";
  h += "<p class=\"muted\">One point per trial: its last reported " + e(view.metric) +
       ". Filled: succeeded; hollow: stopped early, failed or still running; x under the plot: "
       "no metric. The best trial is ringed.</p>\n";
  if (!view.note.empty()) h += "<p class=\"problems\">" + e(view.note) + "</p>\n";
  h += "<div class=\"charts\">\n";
  for (const auto& a : view.params) h += render_param_chart(view, a);
  h += "</div>\n<table class=\"trials\"><tr><th></th><th>trial</th>";
  for (const auto& a : view.params) h += "<th>" + e(a.name) + "</th>";
  h += "<th>" + e(view.metric) + "</th><th>state</th></tr>\n";
  for (const auto& t : view.trials) {
    h += "<tr data-trial=\"" + e(t.trial) + "\"><td>" + (t.best ? "best" : "") + "</td><td>" +
         e(t.trial) + "</td>";
    for (const auto& a : view.params) {
      auto it = t.values.find(a.name);
      h += "<td>" + (it == t.values.end() ? std::string("-") : e(it->second)) + "</td>";
    }
    h += "<td>" + (t.metric ? e(fmt::format("{:.6g}", *t.metric)) : std::string("no metric")) +
         "</td><td>" + e(t.state) + "</td></tr>\n";
  }
  return h + "</table>\n</section>\n";
}

std::string sweep_section_markdown(const SweepView& view) {
  std::string md = "### Parameters vs " + view.metric + " (" + (view.maximize ? "max" : "min") +
                   "), sweep `" + view.id + "`\n\n| | trial |";
  for (const auto& a : view.params) md += " " + a.name + " |";
  md += " " + view.metric + " | state |\n|---|---|";
  for (size_t i = 0; i < view.params.size(); ++i) md += "---|";
  md += "---|---|\n";
  for (const auto& t : view.trials) {
    md += std::string("| ") + (t.best ? "**best**" : "") + " | " + t.trial + " |";
    for (const auto& a : view.params) {
      auto it = t.values.find(a.name);
      md += " " + (it == t.values.end() ? std::string("-") : it->second) + " |";
    }
    md += " " + (t.metric ? fmt::format("{:.6g}", *t.metric) : std::string("no metric")) + " | " +
          t.state + " |\n";
  }
  if (!view.note.empty()) md += "\n" + view.note + "\n";
  return md + "\n";
}

}  // namespace mlbox::report
