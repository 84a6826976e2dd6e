// What `mlbox watch` shows of a job at one moment, built from its run card: on a terminal a
// screen (stage, attempts, elapsed time, cost so far, per metric the latest value and a
// sparkline); otherwise one JSON object per update.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/run_card.h"

namespace mlbox::report {

// The last `width` points as block characters (U+2581..U+2588), lowest to highest; empty for
// no points.
std::string sparkline(const std::vector<MetricPoint>& points, size_t width);

// Where the job is, in words: "submitted", "queued", "pulling the image", "running attempt 2",
// "attempt 1 preempted, resuming", "succeeded", "failed", "cancelled".
std::string job_stage(const RunCard& card);

// The attempts so far: "1 preempted (exit 75), 2 running"; empty before the first.
std::string attempts_line(const RunCard& card);

// {"id", "state", "stage", "attempt", "attempts": [{"number", "outcome", "exit_code"}],
//  "elapsed_s", "cost_usd" (null when unknown), "x_axis",
//  "metrics": {name: {"x", "last", "points"}}}
nlohmann::json watch_json(const RunCard& card);

// The lines of one screen.
std::string watch_screen(const RunCard& card, size_t sparkline_width = 40);

}  // namespace mlbox::report
