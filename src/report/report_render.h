// `mlbox report` output: one self-contained HTML page (style inlined, charts as inline SVG,
// nothing fetched from anywhere) or Markdown for CI job summaries (the same facts; curves as
// compact tables).
#pragma once

#include <string>
#include <vector>

#include "report/run_card.h"

namespace mlbox::report {

std::string render_html(const std::vector<RunCard>& cards, const std::string& generated_at);
std::string render_markdown(const std::vector<RunCard>& cards);

// Shared by both: "$0.0123", "-" when unknown.
std::string format_cost(const RunCard& card);
// "1.2 MB", "512 B".
std::string format_size(uintmax_t bytes);
// Every chart name ("loss" for loss and val_loss) across the cards, sorted.
std::vector<std::string> chart_names(const std::vector<RunCard>& cards);

}  // namespace mlbox::report
