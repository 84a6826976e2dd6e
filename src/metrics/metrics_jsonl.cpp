#include "metrics/metrics_jsonl.h"

#include <cmath>

namespace mlbox::metrics {

namespace {

bool is_reserved(const std::string& key) {
  return key == "step" || key == "epoch" || key == "wall_time";
}

}  // namespace

ParsedMetrics parse_metrics_jsonl(const std::string& text, const std::string& source) {
  ParsedMetrics out;
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    bool complete = nl != std::string::npos;
    std::string line = text.substr(pos, complete ? nl - pos : std::string::npos);
    pos = complete ? nl + 1 : text.size();
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      if (!complete) break;  // being appended right now
      out.problems.push_back(source + ":" + std::to_string(line_no) +
                             ": not a JSON object, line skipped");
      continue;
    }
    MetricsLine m;
    for (const auto& [k, v] : j.items()) {
      if (k == "step" && v.is_number_integer()) {
        m.step = v.get<long long>();
      } else if (k == "epoch" && v.is_number_integer()) {
        m.epoch = v.get<long long>();
      } else if (k == "wall_time" && v.is_number()) {
        m.wall_time = v.get<double>();
      } else if (!is_reserved(k) && v.is_number() && std::isfinite(v.get<double>())) {
        m.values[k] = v.get<double>();
      }
    }
    if (m.values.empty()) {
      out.problems.push_back(source + ":" + std::to_string(line_no) +
                             ": no numeric metric, line skipped");
      continue;
    }
    out.lines.push_back(std::move(m));
  }
  return out;
}

std::string format_metrics_line(const MetricsLine& line) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (line.step) j["step"] = *line.step;
  if (line.epoch) j["epoch"] = *line.epoch;
  if (line.wall_time) j["wall_time"] = *line.wall_time;
  for (const auto& [k, v] : line.values) j[k] = v;
  return j.dump() + "\n";
}

std::string history_to_metrics_jsonl(const nlohmann::json& history) {
  if (!history.is_object() || !history.contains("history") || !history["history"].is_object() ||
      !history.contains("epoch") || !history["epoch"].is_array()) {
    return "";
  }
  const auto& epochs = history["epoch"];
  const auto& series = history["history"];
  const nlohmann::json* walls = history.contains("wall_time") && history["wall_time"].is_array()
                                    ? &history["wall_time"]
                                    : nullptr;
  std::string out;
  for (size_t i = 0; i < epochs.size(); ++i) {
    if (!epochs[i].is_number_integer()) return "";
    MetricsLine m;
    m.epoch = epochs[i].get<long long>();
    if (walls && i < walls->size() && (*walls)[i].is_number() && (*walls)[i].get<double>() > 0) {
      m.wall_time = (*walls)[i].get<double>();
    }
    for (const auto& [name, values] : series.items()) {
      if (values.is_array() && i < values.size() && values[i].is_number()) {
        m.values[name] = values[i].get<double>();
      }
    }
    if (!m.values.empty()) out += format_metrics_line(m);
  }
  return out;
}

}  // namespace mlbox::metrics
