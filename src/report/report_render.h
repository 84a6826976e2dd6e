// `mlbox report` output: one self-contained HTML page (style inlined, charts as inline SVG,
// nothing fetched from anywhere) or Markdown for CI job summaries (the same facts; curves as
// compact tables).
#pragma once

#include <string>
#include <vector>

#include "report/run_card.h"
#include "report/sweep_view.h"

namespace mlbox::report {

// `sweep`: the cards are a sweep's trials; its parameter-vs-metric charts and trials table
// come first.
std::string render_html(const std::vector<RunCard>& cards, const std::string& generated_at,
                        const SweepView* sweep = nullptr);
std::string render_markdown(const std::vector<RunCard>& cards, const SweepView* sweep = nullptr);

// Shared by both: "$0.0123", "-" when unknown.
std::string format_cost(const RunCard& card);
// "1.2 MB", "512 B".
std::string format_size(uintmax_t bytes);
// Every chart name ("loss" for loss and val_loss) across the cards, sorted.
std::vector<std::string> chart_names(const std::vector<RunCard>& cards);

}  // namespace mlbox::report
