// What `mlbox report SWEEP` shows of a sweep beside its trials' run cards: one chart per
// parameter (x = the parameter's value: a log axis for a log-scale range, one band per value
// for a list, linear otherwise; y = the trial's metric, the last value it reported, as the
// trials table ranks them), the best trial marked, and trials without the metric (failed,
// cancelled, "no metric") in a row of their own under the plot.
//
// Every trial with a metric is a <circle class="trial-pt"> and every trial without one a
// <path class="trial-miss">, each carrying data-trial, data-param, data-x (the value as the
// trial got it), data-state and (points) data-y, so a test reads back what was plotted.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report/run_card.h"
#include "sweep/sweep_record.h"

namespace mlbox::report {

enum class AxisScale { kLinear, kLog, kCategories };

struct ParamAxis {
  std::string name;
  AxisScale scale = AxisScale::kLinear;
  std::vector<std::string> categories;  // kCategories: the list, in its order
};

struct TrialDot {
  std::string trial;
  std::map<std::string, std::string> values;  // empty until the engine chose them (Vertex)
  std::optional<double> metric;
  std::string state;
  std::string message;
  bool best = false;
};

struct SweepView {
  std::string id, backend, metric;
  bool maximize = true;
  std::vector<ParamAxis> params;
  std::vector<TrialDot> trials;  // ranked: best first, trials without the metric last
  std::string note;              // "no metric 'x'; the trials reported: ..." or empty
};

SweepView sweep_view(const sweep::SweepRecord& record);

// The run card of a cloud sweep's trial (a Batch child, a Vertex trial), which is no job of the
// job store: its facts from the sweep's record, its curves and the trainer's account of its
// attempts (summary.json) from `outputs`, a local copy of <output>/<sweep>/<trial>. Without
// summary.json its one attempt is the trial's start and end as the engine reported them.
RunCard load_trial_card(const sweep::SweepRecord& record, const sweep::TrialRecord& trial,
                        const std::filesystem::path& outputs, int64_t now);

// One parameter's chart as inline SVG.
std::string render_param_chart(const SweepView& view, const ParamAxis& axis);
// The section of the HTML page: a chart per parameter and the trials table.
std::string sweep_section_html(const SweepView& view);
// The Markdown form: the trials table (parameters, metric, state), best marked.
std::string sweep_section_markdown(const SweepView& view);

}  // namespace mlbox::report
