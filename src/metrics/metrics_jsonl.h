// $MLBOX_OUTPUT_DIR/metrics.jsonl: the one metrics format both training modes share.
// One JSON object per line:
//   {"step": 120, "epoch": 1, "wall_time": 1764770000.5, "loss": 0.42, "val_loss": 0.51}
// "step", "epoch" (integers) and "wall_time" (seconds since the Unix epoch) are reserved and
// optional; every other key with a number value is a metric (name -> value). A metric named
// "val_<name>" is the validation curve of "<name>". Native mode's supervisor derives the file
// from history.json (one line per epoch); a command-mode job appends its own lines.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlbox::metrics {

inline constexpr const char* kMetricsFile = "metrics.jsonl";

struct MetricsLine {
  std::optional<long long> step;
  std::optional<long long> epoch;
  std::optional<double> wall_time;
  std::map<std::string, double> values;
};

struct ParsedMetrics {
  std::vector<MetricsLine> lines;
  // "metrics.jsonl:7: not a JSON object" — one per skipped line; the good lines are kept.
  std::vector<std::string> problems;
};

// `source` names the file in problems. A truncated last line (a writer mid-append) is skipped
// silently: the next read will have it whole.
ParsedMetrics parse_metrics_jsonl(const std::string& text, const std::string& source);

std::string format_metrics_line(const MetricsLine& line);

// history.json ({"history": {name: [...]}, "epoch": [...], "wall_time": [...]}) -> one line
// per epoch, without a step (the report's x axis is then the epoch). Malformed input: "".
std::string history_to_metrics_jsonl(const nlohmann::json& history);

}  // namespace mlbox::metrics
