// A sweep's trial inside the image: the assignment from each engine's channel, its delivery
// (args, env, native config), an array child's destinations, and the hypertune metric file.
#include <doctest/doctest.h>

#include <filesystem>

#include "sweep/trial_delivery.h"
#include "trainer/trial_setup.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;
using namespace mlbox::sweep;
using manifest::ParamDelivery;
using manifest::parse_param_flag;

namespace {

std::vector<manifest::SweepParam> params() {
  auto lr = parse_param_flag("lr=0.001:0.1:log");
  lr.delivery = ParamDelivery::kConfig;
  lr.config_key = "optimizer.lr";
  auto bs = parse_param_flag("batch_size=16,32");
  bs.delivery = ParamDelivery::kArgs;
  auto opt = parse_param_flag("opt=adam,sgd");
  opt.delivery = ParamDelivery::kEnv;
  return {lr, bs, opt};
}

std::string plan_file(const std::filesystem::path& dir) {
  auto path = dir / "plan.json";
  fs::write_file_atomic(path, plan_json("sweep-1", "val_accuracy", params(), "s3://b/runs/sweep-1",
                                        {{{"lr", "0.01"}, {"batch_size", "16"}, {"opt", "adam"}},
                                         {{"lr", "0.1"}, {"batch_size", "32"}, {"opt", "sgd"}}})
                                  .dump());
  return path.string();
}

}  // namespace

TEST_CASE("a Batch array child takes its trial from the plan by AWS_BATCH_JOB_ARRAY_INDEX") {
  auto dir = std::filesystem::temp_directory_path() / "mlbox-trial-setup-test";
  std::filesystem::create_directories(dir);
  trainer::EnvMap env = {{"MLBOX_SWEEP_PLAN", plan_file(dir)},
                         {"AWS_BATCH_JOB_ARRAY_INDEX", "1"},
                         {"MLBOX_MODEL_DIR", "s3://b/runs/sweep-1/model"}};
  std::vector<std::string> command = {"python", "train.py"};
  auto a = trainer::apply_trial_assignment(env, command, false);
  REQUIRE(a);
  CHECK(a->trial == "trial-002");
  CHECK(command == std::vector<std::string>{"python", "train.py", "--batch_size=32"});
  CHECK(env["MLBOX_PARAM_OPT"] == "sgd");
  CHECK(env["MLBOX_TRIAL_ID"] == "trial-002");
  // The child's outputs move under its trial.
  CHECK(env["MLBOX_MODEL_DIR"] == "s3://b/runs/sweep-1/trial-002/model");
  CHECK(env["MLBOX_CHECKPOINT_DIR"] == "s3://b/runs/sweep-1/trial-002/checkpoints");
  // The native config gets the config-delivered value, as a number.
  auto config = dir / "config.json";
  fs::write_file_atomic(config, R"({"epochs": 2, "optimizer": {"name": "adam", "lr": 0.5}})");
  auto out = trainer::apply_trial_native_config(*a, config.string(), dir / "scratch");
  auto j = nlohmann::json::parse(fs::read_file(out));
  CHECK(j["optimizer"]["lr"].get<double>() == doctest::Approx(0.1));
  CHECK(j["optimizer"]["name"] == "adam");
  CHECK(j["epochs"] == 2);

  env["AWS_BATCH_JOB_ARRAY_INDEX"] = "2";  // past the plan
  command = {"python"};
  CHECK_THROWS_AS(trainer::apply_trial_assignment(env, command, false), Error);
  env.erase("AWS_BATCH_JOB_ARRAY_INDEX");
  CHECK_THROWS_AS(trainer::apply_trial_assignment(env, command, false), Error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("Vertex's appended arguments become the trial's values and are delivered") {
  TrialAssignment spec;
  spec.sweep = "sweep-2";
  spec.metric = "val_accuracy";
  spec.params = params();
  nlohmann::json j = spec.to_json();
  trainer::EnvMap env = {{"MLBOX_SWEEP_PARAMS", j.dump()}};
  std::vector<std::string> command = {"python",       "train.py", "--epochs=3", "--lr=0.02",
                                      "--batch_size", "16",       "--opt=sgd"};
  auto a = trainer::apply_trial_assignment(env, command, false);
  REQUIRE(a);
  CHECK(a->values.at("lr") == "0.02");
  CHECK(a->values.at("batch_size") == "16");
  // The user's own --epochs stays; the args-delivered batch_size is put back as --name=value;
  // lr (config) and opt (env) leave the command.
  CHECK(command == std::vector<std::string>{"python", "train.py", "--epochs=3", "--batch_size=16"});
  CHECK(env["MLBOX_PARAM_OPT"] == "sgd");
  CHECK_FALSE(env.count("MLBOX_PARAM_LR"));
}

TEST_CASE("no assignment: the process is no trial and nothing changes") {
  trainer::EnvMap env = {{"PATH", "/bin"}};
  std::vector<std::string> command = {"python", "train.py", "--lr=1"};
  CHECK_FALSE(trainer::apply_trial_assignment(env, command, false));
  CHECK(command.size() == 3);
  CHECK(env.size() == 1);
}

TEST_CASE("the metric reaches Vertex as cloudml-hypertune writes it") {
  std::string text = trainer::hypertune_lines(
      "{\"step\": 10, \"wall_time\": 100.5, \"loss\": 0.5, \"val_accuracy\": 0.75}\n"
      "{\"step\": 20, \"loss\": 0.4}\n"
      "{\"step\": 30, \"wall_time\": 130.0, \"val_accuracy\": 0.875}\n",
      "val_accuracy", "7", 999.0);
  CHECK(
      text ==
      "{\"global_step\":\"10\",\"timestamp\":100.5,\"trial\":\"7\",\"val_accuracy\":\"0.75\"}\n"
      "{\"global_step\":\"30\",\"timestamp\":130.0,\"trial\":\"7\",\"val_accuracy\":\"0.875\"}\n");
  CHECK(trainer::hypertune_lines("{\"step\": 1, \"loss\": 1}\n", "val_accuracy", "1", 0).empty());
  CHECK(trainer::hypertune_metric_file({}) == "/tmp/hypertune/output.metrics");
  CHECK(trainer::hypertune_metric_file({{"CLOUD_ML_HP_METRIC_FILE", "/x/m"}}) == "/x/m");

  auto dir = std::filesystem::temp_directory_path() / "mlbox-hypertune-test";
  std::filesystem::create_directories(dir / "out");
  fs::write_file_atomic(dir / "out" / "metrics.jsonl", "{\"epoch\": 1, \"val_accuracy\": 0.5}\n");
  TrialAssignment a;
  a.metric = "val_accuracy";
  trainer::EnvMap env = {{"CLOUD_ML_TRIAL_ID", "3"},
                         {"CLOUD_ML_HP_METRIC_FILE", (dir / "hp" / "output.metrics").string()}};
  CHECK(trainer::report_hypertune_metric(a, env, dir / "out"));
  auto written = nlohmann::json::parse(fs::read_file(dir / "hp" / "output.metrics"));
  CHECK(written["val_accuracy"] == "0.5");
  CHECK(written["trial"] == "3");
  CHECK(written["global_step"] == "1");
  // Not under Vertex: nothing is written.
  CHECK_FALSE(trainer::report_hypertune_metric(a, {{"MLBOX_PLATFORM", "local"}}, dir / "out"));
  std::filesystem::remove_all(dir);
}
