// The trials of a sweep, decided before any runs: grid (every combination, in parameter
// order, the first parameter slowest) or random (seeded: the same spec and seed give the same
// trials on any machine). Bayesian search is the engine's own (Vertex AI), never planned here.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "manifest/sweep_spec.h"

namespace mlbox::sweep {

using TrialValues = std::map<std::string, std::string>;  // parameter -> value as delivered

// The values a grid takes for one parameter: the list, every integer of a small int range
// (at most 16), else `grid_points` points spread linearly or geometrically.
std::vector<std::string> grid_values(const manifest::SweepParam& p, int grid_points);

// max_trials when set, else the grid's size (grid) or 10 (random).
int trial_count(const manifest::SweepSpec& spec);

// Throws Error(kUsage) for Bayesian (an engine's own search).
std::vector<TrialValues> plan_trials(const manifest::SweepSpec& spec);

// "trial-001": 1-based, zero-padded to keep listings in order.
std::string trial_id(int index);

// A number as delivered: integers without a point, others with up to 6 significant digits.
std::string format_number(double v, bool integer);

}  // namespace mlbox::sweep
