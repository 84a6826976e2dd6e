// sweep: in mlbox.yaml and the --param spelling.
#include <doctest/doctest.h>

#include "manifest/load.h"
#include "manifest/sweep_spec.h"
#include "unit/manifest_error_of.h"
#include "util/error.h"

using namespace mlbox;
using namespace mlbox::manifest;
using testing::error_of;

TEST_CASE("sweep: a full section reads into the spec") {
  Manifest m = parse(R"(name: demo
sweep:
  metric: val_accuracy
  goal: max
  algorithm: random
  max_trials: 6
  parallel_trials: 2
  seed: 9
  early_stopping: {rule: median, min_trials: 2, after_steps: 3}
  parameters:
    lr: {min: 0.0001, max: 0.1, scale: log}
    batch_size: [16, 32, 64]
    layers: {min: 1, max: 4}
    optimizer: {values: [adam, sgd], deliver: env}
    momentum: {min: 0.5, max: 0.9, deliver: config, key: optimizer.momentum}
)",
                     "mlbox.yaml");
  REQUIRE(m.sweep);
  const SweepSpec& s = *m.sweep;
  CHECK(s.metric == "val_accuracy");
  CHECK(s.maximize);
  CHECK(s.algorithm == SweepAlgorithm::kRandom);
  CHECK(s.max_trials == 6);
  CHECK(s.parallel_trials == 2);
  CHECK(s.seed == 9);
  CHECK(s.early_stopping.median);
  CHECK(s.early_stopping.min_trials == 2);
  CHECK(s.early_stopping.after_steps == 3);
  REQUIRE(s.params.size() == 5);
  CHECK(s.params[0].name == "lr");
  CHECK(s.params[0].kind == ParamKind::kFloatRange);
  CHECK(s.params[0].log);
  CHECK(s.params[1].kind == ParamKind::kValues);
  CHECK(s.params[1].values == std::vector<std::string>{"16", "32", "64"});
  CHECK_FALSE(s.params[1].categorical());
  CHECK(s.params[2].kind == ParamKind::kIntRange);
  CHECK(s.params[3].categorical());
  CHECK(s.params[3].delivery == ParamDelivery::kEnv);
  CHECK(s.params[4].config_key == "optimizer.momentum");
  // The JSON form round-trips (the sweep record and the trainer's assignment carry it).
  CHECK(SweepSpec::from_json(s.to_json()).to_json() == s.to_json());
}

TEST_CASE("sweep: bad input is named with mlbox.yaml:L:C") {
  struct Bad {
    const char* yaml;
    const char* position;
    const char* text;
  };
  const Bad bad[] = {
      {"name: demo\nsweep:\n  metric: acc\n  parameters:\n    lr: {min: 0.5, max: 0.1}\n",
       "mlbox.yaml:5:15: ", "sweep.parameters.lr.min 0.5 is greater than max 0.1"},
      {"name: demo\nsweep:\n  metric: acc\n  parameters:\n    bs: []\n",
       "mlbox.yaml:5:9: ", "sweep.parameters.bs is an empty list"},
      {"name: demo\nsweep:\n  metric: acc\n  parameters:\n    bs: {values: []}\n",
       "mlbox.yaml:5:18: ", "sweep.parameters.bs.values is an empty list"},
      {"name: demo\nsweep:\n  metric: acc\n  parameters:\n    lr: {min: 0, max: 1, scale: log}\n",
       "mlbox.yaml:5:33: ", "has a log scale with min 0, expected min > 0 on a log scale"},
      {"name: demo\nsweep:\n  metric: acc\n  paramters:\n    lr: [1]\n",
       "mlbox.yaml:4:3: ", "unknown key 'paramters' in 'sweep'"},
      {"name: demo\nsweep:\n  metric: acc\n  parameters:\n    lr: {mni: 1, max: 2}\n",
       "mlbox.yaml:5:10: ", "unknown key 'mni' in 'sweep.parameters.lr'"},
      {"name: demo\nsweep:\n  metric: acc\n  goal: biggest\n  parameters: {lr: [1]}\n",
       "mlbox.yaml:4:9: ", "sweep.goal is 'biggest', expected max or min"},
      {"name: demo\nsweep:\n  metric: acc\n  max_trials: 0\n  parameters: {lr: [1]}\n",
       "mlbox.yaml:4:15: ", "sweep.max_trials is 0, expected an integer >= 1"},
      {"name: demo\nsweep:\n  metric: acc\n  parameters: {lr: {values: [1], deliver: mail}}\n",
       "mlbox.yaml:4:43: ", "sweep.parameters.lr.deliver is 'mail', expected args, env or config"},
      {"name: demo\nsweep:\n  metric: acc\n", "mlbox.yaml:2:1: ", "sweep has no 'parameters'"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.yaml);
    std::string msg = error_of(b.yaml);
    CHECK(msg.find(b.position) != std::string::npos);
    CHECK_MESSAGE(msg.find(b.text) != std::string::npos, msg);
  }
}

TEST_CASE("--param: lists, int and float ranges, log scale") {
  SweepParam list = parse_param_flag("lr=0.01,0.1, 1");
  CHECK(list.kind == ParamKind::kValues);
  CHECK(list.values == std::vector<std::string>{"0.01", "0.1", "1"});
  SweepParam ints = parse_param_flag("batch_size=16:128");
  CHECK(ints.kind == ParamKind::kIntRange);
  CHECK(ints.min == 16);
  CHECK(ints.max == 128);
  SweepParam logs = parse_param_flag("lr=1e-4:0.1:log");
  CHECK(logs.kind == ParamKind::kFloatRange);
  CHECK(logs.log);
  SweepParam cats = parse_param_flag("opt=adam,sgd");
  CHECK(cats.categorical());

  auto usage_error = [](const char* text) {
    try {
      parse_param_flag(text);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kUsage);
      return std::string(e.what());
    }
    FAIL("accepted " << text);
    return std::string();
  };
  CHECK(usage_error("lr=0.5:0.1").find("min 0.5 is greater than max 0.1") != std::string::npos);
  CHECK(usage_error("lr=0:1:log").find("a log scale needs min > 0") != std::string::npos);
  CHECK(usage_error("lr=").find("the list of values is empty") != std::string::npos);
  CHECK(usage_error("=1,2").find("no NAME=") != std::string::npos);
  CHECK(usage_error("lr=a:b").find("a range's ends are numbers") != std::string::npos);
  CHECK(usage_error("lr=1:2:cubic").find("log or linear") != std::string::npos);
  CHECK(param_env_name("batch-size") == "MLBOX_PARAM_BATCH_SIZE");
}
