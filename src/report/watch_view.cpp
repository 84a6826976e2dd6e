#include "report/watch_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "jobs/job_summary.h"
#include "report/report_render.h"

namespace mlbox::report {

std::string sparkline(const std::vector<MetricPoint>& points, size_t width) {
  static const char* kBlocks[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                  "\u2585", "\u2586", "\u2587", "\u2588"};
  if (points.empty() || width == 0) return "";
  size_t from = points.size() > width ? points.size() - width : 0;
  double lo = points[from].y, hi = points[from].y;
  for (size_t i = from; i < points.size(); ++i) {
    lo = std::min(lo, points[i].y);
    hi = std::max(hi, points[i].y);
  }
  std::string out;
  for (size_t i = from; i < points.size(); ++i) {
    int level = hi > lo ? static_cast<int>((points[i].y - lo) / (hi - lo) * 7.0 + 0.5) : 3;
    out += kBlocks[std::clamp(level, 0, 7)];
  }
  return out;
}

std::string job_stage(const RunCard& card) {
  int k = card.attempts.empty() ? 0 : card.attempts.back().number;
  std::string last = card.attempts.empty() ? "" : card.attempts.back().outcome;
  if (card.state == "SUBMITTED") return "submitted";
  if (card.state == "QUEUED") return "queued";
  if (card.state == "STARTING") {
    return k > 0 ? fmt::format("pulling the image for attempt {}", k) : "pulling the image";
  }
  if (card.state == "RUNNING") return k > 0 ? fmt::format("running attempt {}", k) : "running";
  if (card.state == "PREEMPTED") return fmt::format("attempt {} preempted, resuming", k);
  if (card.state == "RETRYING") {
    return fmt::format("attempt {} {}, {}", k, last.empty() ? "ended" : last,
                       last == "preempted" ? "queued to resume" : "retrying");
  }
  std::string s = card.state;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string attempts_line(const RunCard& card) {
  std::string s;
  for (const auto& a : card.attempts) {
    if (!s.empty()) s += ", ";
    s += fmt::format("{} {}", a.number, a.outcome.empty() ? "running" : a.outcome);
    if (a.exit_code) s += fmt::format(" (exit {})", *a.exit_code);
  }
  return s;
}

nlohmann::json watch_json(const RunCard& card) {
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& [name, points] : card.metrics) {
    if (points.empty()) continue;
    metrics[name] = {{"x", points.back().x}, {"last", points.back().y}, {"points", points.size()}};
  }
  nlohmann::json attempts = nlohmann::json::array();
  for (const auto& a : card.attempts) {
    attempts.push_back(
        {{"number", a.number},
         {"outcome", a.outcome},
         {"exit_code", a.exit_code ? nlohmann::json(*a.exit_code) : nlohmann::json(nullptr)}});
  }
  return {{"id", card.job_id},
          {"state", card.state},
          {"stage", job_stage(card)},
          {"attempt", card.attempts.empty() ? 0 : card.attempts.back().number},
          {"attempts", attempts},
          {"elapsed_s", card.duration_s},
          {"cost_usd", card.cost_usd ? nlohmann::json(*card.cost_usd) : nlohmann::json(nullptr)},
          {"x_axis", card.x_axis},
          {"metrics", metrics}};
}

std::string watch_screen(const RunCard& card, size_t sparkline_width) {
  std::string s = fmt::format("{}  {}  elapsed {}  cost {}\n", card.job_id, job_stage(card),
                              jobs::format_duration(card.duration_s), format_cost(card));
  if (std::string a = attempts_line(card); !a.empty()) s += "attempts: " + a + "\n";
  if (card.metrics.empty()) return s + "no metrics yet\n";
  size_t name_width = 0;
  for (const auto& [name, _] : card.metrics) name_width = std::max(name_width, name.size());
  for (const auto& [name, points] : card.metrics) {
    if (points.empty()) continue;
    s += fmt::format("{:<{}}  {:>10.4g}  {} {:g}  {}\n", name, name_width, points.back().y,
                     card.x_axis, points.back().x, sparkline(points, sparkline_width));
  }
  return s;
}

}  // namespace mlbox::report
