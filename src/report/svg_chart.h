// Line charts as inline SVG, drawn by mlbox (no script, no external resource). Every point is
// a <circle class="pt"> carrying data-job, data-metric, data-x and data-y (numbers written so
// they parse back to the same double), so a test or a script can read the plotted values.
#pragma once

#include <string>
#include <vector>

#include "report/run_card.h"

namespace mlbox::report {

struct ChartLine {
  std::string job_id;
  std::string metric;   // "loss", "val_loss"
  int color = 0;        // palette index (one per job)
  bool dashed = false;  // validation curves
  std::vector<MetricPoint> points;
};

std::string render_svg_chart(const std::string& title, const std::string& x_label,
                             const std::vector<ChartLine>& lines);

// Text for HTML/XML content and attribute values.
std::string escape_html(const std::string& s);
// Shortest text that parses back to the same double ("0.1", "1e-05", "3").
std::string exact_number(double v);

}  // namespace mlbox::report
