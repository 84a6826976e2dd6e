#include "sweep/trial_plan.h"

#include <cmath>
#include <random>
#include <set>

#include <fmt/format.h>

#include "util/error.h"

namespace mlbox::sweep {

using manifest::ParamKind;
using manifest::SweepParam;

namespace {

constexpr int kMaxIntGrid = 16;
constexpr int kRandomDefault = 10;

// [0, 1) from the generator's bits, the same on every standard library (std's
// distributions are not specified bit for bit).
double unit(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

double spread(const SweepParam& p, double t) {
  if (p.log) return std::exp(std::log(p.min) + t * (std::log(p.max) - std::log(p.min)));
  return p.min + t * (p.max - p.min);
}

std::string sample(const SweepParam& p, std::mt19937_64& rng) {
  switch (p.kind) {
    case ParamKind::kValues:
      return p.values[static_cast<size_t>(rng() % p.values.size())];
    case ParamKind::kIntRange: {
      if (!p.log) {
        auto span = static_cast<unsigned long long>(p.max - p.min) + 1;
        return format_number(p.min + static_cast<double>(rng() % span), true);
      }
      double v = std::round(spread(p, unit(rng)));
      return format_number(std::clamp(v, p.min, p.max), true);
    }
    case ParamKind::kFloatRange:
      return format_number(spread(p, unit(rng)), false);
  }
  return {};
}

}  // namespace

std::string format_number(double v, bool integer) {
  if (integer) return fmt::format("{}", static_cast<long long>(std::llround(v)));
  return fmt::format("{:.6g}", v);
}

std::vector<std::string> grid_values(const SweepParam& p, int grid_points) {
  std::vector<std::string> out;
  if (p.kind == ParamKind::kValues) return p.values;
  if (p.kind == ParamKind::kIntRange && !p.log && p.max - p.min + 1 <= kMaxIntGrid) {
    for (auto v = static_cast<long long>(p.min); v <= static_cast<long long>(p.max); ++v)
      out.push_back(std::to_string(v));
    return out;
  }
  int n = std::max(2, grid_points);
  if (p.min == p.max) n = 1;
  std::set<std::string> seen;
  for (int i = 0; i < n; ++i) {
    double t = n == 1 ? 0.0 : static_cast<double>(i) / (n - 1);
    std::string v = format_number(spread(p, t), p.kind == ParamKind::kIntRange);
    if (seen.insert(v).second) out.push_back(v);
  }
  return out;
}

int trial_count(const manifest::SweepSpec& spec) {
  if (spec.max_trials > 0) return spec.max_trials;
  if (spec.algorithm != manifest::SweepAlgorithm::kGrid) return kRandomDefault;
  long long n = 1;
  for (const auto& p : spec.params) {
    n *= static_cast<long long>(grid_values(p, spec.grid_points).size());
    if (n > 100000) break;
  }
  return static_cast<int>(std::min<long long>(n, 100000));
}

std::vector<TrialValues> plan_trials(const manifest::SweepSpec& spec) {
  std::vector<TrialValues> out;
  const int count = trial_count(spec);
  if (spec.algorithm == manifest::SweepAlgorithm::kBayesian) {
    throw Error(ErrorKind::kUsage, "Bayesian search is the engine's own, not planned by mlbox",
                "use --target vertex (Vertex AI's tuning service), or --algorithm grid|random");
  }
  if (spec.algorithm == manifest::SweepAlgorithm::kGrid) {
    std::vector<std::vector<std::string>> axes;
    for (const auto& p : spec.params) axes.push_back(grid_values(p, spec.grid_points));
    std::vector<size_t> at(axes.size(), 0);
    while (static_cast<int>(out.size()) < count) {
      TrialValues t;
      for (size_t i = 0; i < axes.size(); ++i) t[spec.params[i].name] = axes[i][at[i]];
      out.push_back(std::move(t));
      // Odometer, the last parameter fastest.
      size_t k = axes.size();
      while (k > 0) {
        --k;
        if (++at[k] < axes[k].size()) break;
        at[k] = 0;
        if (k == 0) return out;
      }
      if (axes.empty()) return out;
    }
    return out;
  }
  std::mt19937_64 rng(spec.seed);
  std::set<TrialValues> seen;
  while (static_cast<int>(out.size()) < count) {
    TrialValues t;
    // A small discrete space repeats: a few draws look for an unseen combination first.
    for (int tries = 0; tries < 32; ++tries) {
      t.clear();
      for (const auto& p : spec.params) t[p.name] = sample(p, rng);
      if (!seen.count(t)) break;
    }
    seen.insert(t);
    out.push_back(std::move(t));
  }
  return out;
}

std::string trial_id(int index) {
  return fmt::format("trial-{:03d}", index);
}

}  // namespace mlbox::sweep
