// The trials table of `mlbox sweep` and `mlbox sweep status`: one row per trial, sorted by
// the metric (best first, the best marked with '*'), with its parameters, state, duration
// and cost.
#pragma once

#include <string>

#include "sweep/sweep_record.h"

namespace mlbox::cli {

std::string render_sweep_table(const sweep::SweepRecord& record);

}  // namespace mlbox::cli
