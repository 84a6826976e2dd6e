#include "report/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace mlbox::report {

namespace {

constexpr const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                    "#ff7f0e", "#17becf", "#8c564b", "#e377c2"};
constexpr double kWidth = 640, kHeight = 300, kLeft = 64, kRight = 16, kTop = 28, kBottom = 44;

std::string tick(double v) {
  return fmt::format("{:.4g}", v);
}

}  // namespace

std::string escape_html(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string exact_number(double v) {
  if (std::isfinite(v) && v == std::trunc(v) && std::abs(v) < 1e15) {
    return fmt::format("{}", static_cast<long long>(v));
  }
  return nlohmann::json(v).dump();
}

std::string render_svg_chart(const std::string& title, const std::string& x_label,
                             const std::vector<ChartLine>& lines) {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& l : lines) {
    for (const auto& p : l.points) {
      x0 = std::min(x0, p.x);
      x1 = std::max(x1, p.x);
      y0 = std::min(y0, p.y);
      y1 = std::max(y1, p.y);
    }
  }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 == x0) x0 -= 1, x1 += 1;
  if (y1 == y0) y0 -= std::max(1e-9, std::abs(y0) * 0.1), y1 += std::max(1e-9, std::abs(y1) * 0.1);
  double pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom;
  auto sx = [&](double x) { return kLeft + (x - x0) / (x1 - x0) * pw; };
  auto sy = [&](double y) { return kTop + (1 - (y - y0) / (y1 - y0)) * ph; };

  std::string svg = fmt::format(
      "<svg class=\"chart\" viewBox=\"0 0 {} {}\" "
      "width=\"{}\" height=\"{}\" role=\"img\" data-chart=\"{}\">\n"
      "<title>{}</title>\n"
      "<text x=\"{}\" y=\"18\" class=\"title\">{}</text>\n",
      kWidth, kHeight, kWidth, kHeight, escape_html(title), escape_html(title), kLeft,
      escape_html(title));
  for (int i = 0; i <= 4; ++i) {
    double yv = y0 + (y1 - y0) * i / 4, xv = x0 + (x1 - x0) * i / 4;
    svg += fmt::format(
        "<line class=\"grid\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>"
        "<text class=\"ytick\" x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n",
        kLeft, sy(yv), kWidth - kRight, sy(yv), kLeft - 6, sy(yv) + 4, tick(yv));
    svg += fmt::format("<text class=\"xtick\" x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", sx(xv),
                       kHeight - kBottom + 16, tick(xv));
  }
  svg += fmt::format(
      "<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n"
      "<text class=\"xlabel\" x=\"{:.1f}\" y=\"{}\">{}</text>\n",
      kLeft, kTop, pw, ph, kLeft + pw / 2, kHeight - 8, escape_html(x_label));
  for (const auto& l : lines) {
    const char* color = kPalette[static_cast<size_t>(l.color) % std::size(kPalette)];
    std::string pts;
    for (const auto& p : l.points) pts += fmt::format("{:.2f},{:.2f} ", sx(p.x), sy(p.y));
    svg += fmt::format(
        "<g class=\"series\" data-job=\"{}\" data-metric=\"{}\">\n"
        "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{} points=\"{}\"/>\n",
        escape_html(l.job_id), escape_html(l.metric), color,
        l.dashed ? " stroke-dasharray=\"6 4\"" : "", pts);
    for (const auto& p : l.points) {
      svg += fmt::format(
          "<circle class=\"pt\" cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"3\" fill=\"{}\" data-job=\"{}\" "
          "data-metric=\"{}\" data-x=\"{}\" data-y=\"{}\"><title>{} {} {}={}: "
          "{}</title></circle>\n",
          sx(p.x), sy(p.y), color, escape_html(l.job_id), escape_html(l.metric), exact_number(p.x),
          exact_number(p.y), escape_html(l.job_id), escape_html(l.metric), escape_html(x_label),
          exact_number(p.x), exact_number(p.y));
    }
    svg += "</g>\n";
  }
  // Legend under the title, one entry per line.
  double lx = kLeft + 160;
  for (const auto& l : lines) {
    const char* color = kPalette[static_cast<size_t>(l.color) % std::size(kPalette)];
    std::string label = (lines.size() > 2 || l.job_id.empty() ? l.job_id + " " : "") + l.metric;
    svg += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"14\" x2=\"{:.1f}\" y2=\"14\" stroke=\"{}\" stroke-width=\"2\"{}/>"
        "<text class=\"legend\" x=\"{:.1f}\" y=\"18\">{}</text>\n",
        lx, lx + 18, color, l.dashed ? " stroke-dasharray=\"6 4\"" : "", lx + 22,
        escape_html(label));
    lx += 30 + 7.0 * static_cast<double>(label.size());
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace mlbox::report
