// Every parameter must reach something that reads it, checked before anything is submitted.
#include <doctest/doctest.h>

#include <filesystem>

#include "manifest/load.h"
#include "sweep/param_consumers.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;
using namespace mlbox::sweep;
using manifest::ParamDelivery;
using manifest::parse_param_flag;

namespace {

std::string config_error(std::vector<manifest::SweepParam> ps, const ProjectFacts& facts) {
  try {
    resolve_param_consumers(ps, facts);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    return e.what();
  }
  FAIL("accepted");
  return {};
}

}  // namespace

TEST_CASE("native mode: parameters are config keys, found by name or by a dotted key") {
  manifest::Manifest m = manifest::parse(R"(name: digits
train:
  native:
    epochs: 3
    batch_size: 32
    optimizer: {name: adam, lr: 0.002}
)",
                                         "mlbox.yaml");
  ProjectFacts facts{&m, {}, std::filesystem::temp_directory_path()};
  std::vector<manifest::SweepParam> ps = {parse_param_flag("lr=0.001,0.01"),
                                          parse_param_flag("batch_size=16,32")};
  resolve_param_consumers(ps, facts);
  CHECK(ps[0].delivery == ParamDelivery::kConfig);
  CHECK(ps[0].config_key == "optimizer.lr");
  CHECK(ps[1].config_key == "batch_size");

  std::string msg = config_error({parse_param_flag("dropout=0.1,0.2")}, facts);
  CHECK(msg.find("'dropout' (deliver: config): train.native has no key 'dropout'") !=
        std::string::npos);
  CHECK(msg.find("nothing was submitted") == std::string::npos);  // that is the hint
  auto args = parse_param_flag("lr=0.1,1");
  args.delivery = ParamDelivery::kArgs;
  CHECK(config_error({args}, facts).find("native mode reads no command-line arguments") !=
        std::string::npos);
  auto keyed = parse_param_flag("lr=0.1,1");
  keyed.config_key = "optimizer.momentum";
  CHECK(config_error({keyed}, facts).find("has no key 'optimizer.momentum'") != std::string::npos);
}

TEST_CASE("command mode: args need a file saying --name, env a file saying MLBOX_PARAM_NAME") {
  auto dir = std::filesystem::temp_directory_path() / "mlbox-consumers-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "pkg");
  fs::write_file_atomic(dir / "train.py",
                        "import argparse\np = argparse.ArgumentParser()\n"
                        "p.add_argument('--lr', type=float)\n");
  fs::write_file_atomic(dir / "pkg" / "model.py",
                        "import os\nD = os.environ['MLBOX_PARAM_DROPOUT']\n");
  manifest::Manifest m =
      manifest::parse("name: demo\ntrain:\n  command: python train.py\n", "mlbox.yaml");
  ProjectFacts facts{&m, {}, dir};
  auto drop = parse_param_flag("dropout=0.1,0.2");
  drop.delivery = ParamDelivery::kEnv;
  std::vector<manifest::SweepParam> ps = {parse_param_flag("lr=0.1,1"), drop};
  resolve_param_consumers(ps, facts);
  CHECK(ps[0].delivery == ParamDelivery::kArgs);

  std::string msg =
      config_error({parse_param_flag("lr=0.1,1"), parse_param_flag("momentum=0.9")}, facts);
  CHECK(msg.find("a parameter of the sweep reaches nothing") != std::string::npos);
  CHECK(msg.find("'momentum' (deliver: args): no file of the project mentions '--momentum'") !=
        std::string::npos);
  auto env = parse_param_flag("lr=0.1,1");
  env.delivery = ParamDelivery::kEnv;
  CHECK(config_error({env}, facts).find("no file of the project reads MLBOX_PARAM_LR") !=
        std::string::npos);
  std::filesystem::remove_all(dir);
}
