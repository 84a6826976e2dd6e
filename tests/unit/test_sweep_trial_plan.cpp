#include <doctest/doctest.h>

#include <set>

#include "sweep/trial_plan.h"
#include "util/error.h"

using namespace mlbox;
using namespace mlbox::sweep;
using manifest::parse_param_flag;
using manifest::SweepAlgorithm;
using manifest::SweepSpec;

namespace {

SweepSpec spec_of(std::vector<const char*> params, SweepAlgorithm a = SweepAlgorithm::kGrid) {
  SweepSpec s;
  s.metric = "val_accuracy";
  s.algorithm = a;
  for (const char* p : params) s.params.push_back(parse_param_flag(p));
  return s;
}

}  // namespace

TEST_CASE("grid: every combination, the first parameter slowest") {
  auto trials = plan_trials(spec_of({"lr=0.01,0.1,1", "batch_size=16,32"}));
  REQUIRE(trials.size() == 6);
  CHECK(trials[0] == TrialValues{{"lr", "0.01"}, {"batch_size", "16"}});
  CHECK(trials[1] == TrialValues{{"lr", "0.01"}, {"batch_size", "32"}});
  CHECK(trials[2] == TrialValues{{"lr", "0.1"}, {"batch_size", "16"}});
  CHECK(trials[5] == TrialValues{{"lr", "1"}, {"batch_size", "32"}});
  std::set<TrialValues> distinct(trials.begin(), trials.end());
  CHECK(distinct.size() == 6);
}

TEST_CASE("grid: ranges become points; max_trials cuts the grid") {
  auto lr = parse_param_flag("lr=0.001:0.1:log");
  CHECK(grid_values(lr, 3) == std::vector<std::string>{"0.001", "0.01", "0.1"});
  auto lin = parse_param_flag("dropout=0:0.5");
  CHECK(grid_values(lin, 3) == std::vector<std::string>{"0", "0.25", "0.5"});
  auto small = parse_param_flag("layers=1:4");
  CHECK(grid_values(small, 3) == std::vector<std::string>{"1", "2", "3", "4"});
  auto wide = parse_param_flag("units=16:1024");
  CHECK(grid_values(wide, 3) == std::vector<std::string>{"16", "520", "1024"});
  SweepSpec s = spec_of({"lr=0.01,0.1,1", "batch_size=16,32"});
  s.max_trials = 4;
  CHECK(plan_trials(s).size() == 4);
  CHECK(trial_count(spec_of({"lr=0.01,0.1,1", "layers=1:4"})) == 12);
}

TEST_CASE("random: seeded and deterministic, inside the ranges") {
  SweepSpec s = spec_of({"lr=1e-4:1e-1:log", "batch_size=8:256", "opt=adam,sgd,rmsprop"},
                        SweepAlgorithm::kRandom);
  s.max_trials = 20;
  s.seed = 42;
  auto a = plan_trials(s);
  auto b = plan_trials(s);
  REQUIRE(a.size() == 20);
  CHECK(a == b);
  s.seed = 43;
  CHECK(plan_trials(s) != a);
  std::set<std::string> opts;
  int below_1e2 = 0;
  for (const auto& t : a) {
    double lr = std::stod(t.at("lr"));
    CHECK(lr >= 1e-4);
    CHECK(lr <= 1e-1);
    below_1e2 += lr < 1e-2 ? 1 : 0;
    long bs = std::stol(t.at("batch_size"));
    CHECK(bs >= 8);
    CHECK(bs <= 256);
    CHECK(t.at("batch_size").find('.') == std::string::npos);
    opts.insert(t.at("opt"));
  }
  // Log-uniform: two of the three decades are below 1e-2, so most draws are.
  CHECK(below_1e2 >= 8);
  CHECK(opts.size() == 3);
  // A small discrete space is covered before values repeat.
  SweepSpec tiny = spec_of({"a=1,2", "b=x,y"}, SweepAlgorithm::kRandom);
  tiny.max_trials = 4;
  auto t = plan_trials(tiny);
  CHECK(std::set<TrialValues>(t.begin(), t.end()).size() == 4);
  CHECK(trial_count(spec_of({"a=1,2"}, SweepAlgorithm::kRandom)) == 10);
}

TEST_CASE("bayesian is the engine's own search") {
  CHECK_THROWS_AS(plan_trials(spec_of({"a=1,2"}, SweepAlgorithm::kBayesian)), Error);
  CHECK(trial_id(7) == "trial-007");
}
