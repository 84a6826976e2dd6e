// The trials ordered by their objective (best first, trials without a metric last), the best
// one, and the sweep as one JSON object (`mlbox sweep --json`, `sweep status --json`).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweep/sweep_record.h"

namespace mlbox::sweep {

// Indexes into record.trials, best first; ties keep trial order.
std::vector<size_t> ranked_trials(const SweepRecord& record);
// The succeeded (or early-stopped) trial with the best metric; empty when none reported it.
std::optional<size_t> best_trial(const SweepRecord& record);
// Metric names the trials reported, when some finished trial did not report the sweep's metric
// (empty otherwise): "no metric 'val_acc'; the trials reported: loss, val_accuracy".
std::string missing_metric_note(const SweepRecord& record);
// {id, name, backend, state, metric, goal, output, trials: [...] (ranked), best: {...}|null,
//  note}
nlohmann::json sweep_summary_json(const SweepRecord& record);

}  // namespace mlbox::sweep
