#include <doctest/doctest.h>

#include "config/settings.h"
#include "manifest/load.h"
#include "util/error.h"

using namespace mlbox;
using namespace mlbox::config;

namespace {

const char* kManifest =
    "name: demo\n"                   // 1
    "python:\n"                      // 2
    "  version: \"3.10\"\n"          // 3
    "framework:\n"                   // 4
    "  name: pytorch\n"              // 5
    "resources:\n"                   // 6
    "  gpu: T4:1\n"                  // 7
    "  nodes: 2\n"                   // 8
    "  spot: true\n"                 // 9
    "targets:\n"                     // 10
    "  vertex:\n"                    // 11
    "    region: europe-west4\n"     // 12
    "    output: gs://bucket/out\n"  // 13
    "train:\n"                       // 14
    "  command: python train.py\n";  // 15

UserConfig user_config(const std::string& text) {
  return parse_user_config(text, "/home/u/.config/mlbox/config.yaml",
                           "~/.config/mlbox/config.yaml");
}

}  // namespace

TEST_CASE("defaults when nothing is configured") {
  Settings s = resolve(nullptr, {}, env_from_map({{"HOME", "/home/u"}}));
  CHECK(s.get("target") == "local");
  CHECK(s.at("target").source == Source::kDefault);
  CHECK(s.at("target").origin == "default");
  CHECK(s.get("compression") == "gzip");
  CHECK(s.get("builder") == "native");
  CHECK(s.get_int("jobs") == 4);
  CHECK(s.get_int("nodes") == 1);
  CHECK_FALSE(s.get_bool("spot"));
  CHECK(s.get("python.version") == "3.11");
  CHECK(s.get("framework") == "none");
  CHECK(s.get("output") == ".mlbox/output");
  CHECK(s.get("region") == "");
  CHECK(s.get("mlbox_home") == "/home/u/.local/share/mlbox");
  CHECK(s.values().size() == known_keys().size());
}

TEST_CASE("mlbox.yaml beats the user config and the defaults, naming LINE:COL") {
  auto m = manifest::parse(kManifest, "mlbox.yaml");
  auto user = user_config("region: us-west1\nnodes: 5\ncompression: zstd\n");
  Settings s = resolve(&m, {}, env_from_map({}), &user);
  CHECK(s.get("target") == "vertex");
  CHECK(s.at("target").origin == "mlbox.yaml:11:3");
  CHECK(s.get("region") == "europe-west4");
  CHECK(s.at("region").source == Source::kManifest);
  CHECK(s.at("region").origin == "mlbox.yaml:12:5");
  CHECK(s.get("nodes") == "2");
  CHECK(s.at("nodes").origin == "mlbox.yaml:8:3");
  CHECK(s.get("gpu") == "T4:1");
  CHECK(s.get_bool("spot"));
  CHECK(s.get("python.version") == "3.10");
  CHECK(s.get("framework") == "pytorch");
  CHECK(s.get("output") == "gs://bucket/out");
  // not in mlbox.yaml: the user config answers
  CHECK(s.get("compression") == "zstd");
  CHECK(s.at("compression").source == Source::kUserConfig);
  CHECK(s.at("compression").origin == "~/.config/mlbox/config.yaml:3:1");
  // neither: default
  CHECK(s.at("builder").source == Source::kDefault);
}

TEST_CASE("env MLBOX_* beats mlbox.yaml") {
  auto m = manifest::parse(kManifest, "mlbox.yaml");
  auto user = user_config("region: us-west1\n");
  Settings s = resolve(&m, {},
                       env_from_map({{"MLBOX_REGION", "asia-east1"},
                                     {"MLBOX_NODES", "3"},
                                     {"MLBOX_SPOT", "no"},
                                     {"MLBOX_REGISTRY", "localhost:5000/demo"}}),
                       &user);
  CHECK(s.get("region") == "asia-east1");
  CHECK(s.at("region").source == Source::kEnv);
  CHECK(s.at("region").origin == "env MLBOX_REGION");
  CHECK(s.get_int("nodes") == 3);
  CHECK(s.get("spot") == "false");
  CHECK(s.get("image.repository") == "localhost:5000/demo");
  CHECK(s.at("image.repository").origin == "env MLBOX_REGISTRY");
}

TEST_CASE("a flag beats everything") {
  auto m = manifest::parse(kManifest, "mlbox.yaml");
  auto user = user_config("region: us-west1\n");
  Settings s = resolve(&m, {{"region", "us-east4"}, {"target", "ai-platform"}},
                       env_from_map({{"MLBOX_REGION", "asia-east1"}}), &user);
  CHECK(s.get("region") == "us-east4");
  CHECK(s.at("region").source == Source::kFlag);
  CHECK(s.at("region").origin == "--region");
  CHECK(s.get("target") == "vertex");
  CHECK(s.at("target").origin == "--target");
}

TEST_CASE("user config beats defaults; nested and flat keys; registry alias") {
  auto user = user_config(
      "target: batch\n"
      "python:\n"
      "  version: \"3.12\"\n"
      "registry: 123456789012.dkr.ecr.us-east-1.amazonaws.com/demo\n"
      "jobs: 8\n"
      "mlbox_home: ~/mlbox-cache\n");
  Settings s = resolve(nullptr, {}, env_from_map({{"HOME", "/home/u"}}), &user);
  CHECK(s.get("target") == "batch");
  CHECK(s.at("target").origin == "~/.config/mlbox/config.yaml:1:1");
  CHECK(s.get("python.version") == "3.12");
  CHECK(s.at("python.version").origin == "~/.config/mlbox/config.yaml:3:3");
  CHECK(s.get("image.repository") == "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo");
  CHECK(s.get_int("jobs") == 8);
  CHECK(s.get("mlbox_home") == "/home/u/mlbox-cache");
  // the target decides the region default, below AWS's own variable
  CHECK(s.get("region") == "us-east-1");
  CHECK(s.at("region").origin == "default");
  Settings aws = resolve(nullptr, {}, env_from_map({{"AWS_REGION", "eu-west-1"}}), &user);
  CHECK(aws.get("region") == "eu-west-1");
  CHECK(aws.at("region").source == Source::kDefault);
  CHECK(aws.at("region").origin == "default (env AWS_REGION)");
}

TEST_CASE("the target follows the first cloud target mlbox.yaml configures") {
  auto both = manifest::parse(
      "name: demo\ntargets:\n  batch:\n    region: us-west-2\n  vertex:\n    region: us-east1\n",
      "mlbox.yaml");
  Settings s = resolve(&both, {}, env_from_map({}));
  CHECK(s.get("target") == "batch");
  CHECK(s.get("region") == "us-west-2");
  Settings v = resolve(&both, {{"target", "vertex"}}, env_from_map({}));
  CHECK(v.get("region") == "us-east1");
  CHECK(v.at("region").origin == "mlbox.yaml:6:5");
  auto none = manifest::parse("name: demo\n", "mlbox.yaml");
  CHECK(resolve(&none, {}, env_from_map({})).get("target") == "local");
  // a user-config target applies when mlbox.yaml names none
  auto user = user_config("target: vertex\n");
  CHECK(resolve(&none, {}, env_from_map({}), &user).get("target") == "vertex");
}

TEST_CASE("invalid values name their origin") {
  CHECK_THROWS_WITH_AS(resolve(nullptr, {{"nodes", "0"}}, env_from_map({})),
                       "--nodes: '0' is not a valid nodes, expected an integer >= 1", Error);
  try {
    resolve(nullptr, {{"builder", "dockr"}}, env_from_map({}));
    FAIL("accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kUsage);
    CHECK(std::string(e.what()).find("did you mean 'docker'?") != std::string::npos);
  }
  try {
    resolve(nullptr, {}, env_from_map({{"MLBOX_COMPRESSION", "lz4"}}));
    FAIL("accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    CHECK(std::string(e.what()).starts_with("env MLBOX_COMPRESSION: 'lz4' is not a valid"));
  }
  auto user = user_config("\ngpu: T4:zero\n");
  CHECK_THROWS_WITH_AS(resolve(nullptr, {}, env_from_map({}), &user),
                       doctest::Contains("~/.config/mlbox/config.yaml:2:1: 'T4:zero'"), Error);
  CHECK_THROWS_WITH_AS(user_config("regoin: x\n"),
                       doctest::Contains("~/.config/mlbox/config.yaml:1:1: unknown setting "
                                         "'regoin'"),
                       Error);
  CHECK_THROWS_WITH_AS(user_config("region: [a]\n"),
                       doctest::Contains("region is a list, expected a single value"), Error);
  CHECK_THROWS_WITH_AS(user_config("a: [\n"), doctest::Contains("invalid YAML"), Error);
  Settings s = resolve(nullptr, {}, env_from_map({}));
  CHECK_THROWS_WITH_AS(s.at("regin"), doctest::Contains("did you mean 'region'?"), Error);
}

TEST_CASE("settings as JSON carry typed values, sources and origins") {
  auto m = manifest::parse(kManifest, "mlbox.yaml");
  nlohmann::json j = resolve(&m, {{"jobs", "6"}}, env_from_map({})).to_json();
  CHECK(j["nodes"] ==
        nlohmann::json{{"value", 2}, {"source", "mlbox.yaml"}, {"origin", "mlbox.yaml:8:3"}});
  CHECK(j["spot"]["value"] == true);
  CHECK(j["jobs"]["value"] == 6);
  CHECK(j["jobs"]["source"] == "flag");
  CHECK(j["builder"]["source"] == "default");
}
