#include <fmt/format.h>

#include <set>

#include "report/report_render.h"

namespace mlbox::report {

std::string format_cost(const RunCard& card) {
  if (!card.cost_usd) return card.backend == "local" ? "$0 (" + card.price_note + ")" : "-";
  return fmt::format("${:.4f} ({} x {:.2f} h billed)", *card.cost_usd, card.price_note,
                     static_cast<double>(card.billed_s) / 3600.0);
}

std::string format_size(uintmax_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes) / 1024;
  int u = 0;
  while (v >= 1024 && u < 3) v /= 1024, ++u;
  return fmt::format("{:.1f} {}", v, units[u]);
}

std::vector<std::string> chart_names(const std::vector<RunCard>& cards) {
  std::set<std::string> names;
  for (const auto& c : cards) {
    for (const auto& [m, _] : c.metrics) names.insert(chart_of(m));
  }
  return {names.begin(), names.end()};
}

}  // namespace mlbox::report
