#include <doctest/doctest.h>

#include <filesystem>

#include "trainer/platform_contract.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox::trainer;
namespace stdfs = std::filesystem;

namespace {

ContractOptions isolated(const stdfs::path& root) {
  ContractOptions o;
  o.opt_ml_root = (root / "opt-ml").string();
  o.gcs_fuse_root = (root / "gcs").string();
  o.local_output_root = (root / "out").string();
  return o;
}

}  // namespace

TEST_CASE("local backend: defaults under the output root, no distributed variables") {
  mlbox::fs::TempDir tmp;
  auto l = resolve_platform({}, isolated(tmp.path()));
  CHECK(l.platform == "local");
  CHECK(l.model_dir == (tmp.path() / "out/model").string());
  CHECK(l.checkpoint_dir == (tmp.path() / "out/checkpoints").string());
  CHECK(l.tensorboard_dir == (tmp.path() / "out/tensorboard").string());
  CHECK(l.job_id == "local");
  CHECK(l.attempt == 1);
  CHECK_FALSE(l.distributed());
  auto env = l.exported_env();
  CHECK(env.count("RANK") == 0);
  CHECK(env.at("MLBOX_MODEL_DIR") == l.model_dir);
}

TEST_CASE("explicit MLBOX_* variables win over the platform's") {
  mlbox::fs::TempDir tmp;
  auto l = resolve_platform({{"AIP_MODEL_DIR", "/vertex/model"},
                             {"MLBOX_MODEL_DIR", "/mine/model"},
                             {"MLBOX_ATTEMPT", "3"}},
                            isolated(tmp.path()));
  CHECK(l.platform == "vertex");
  CHECK(l.model_dir == "/mine/model");
  CHECK(l.attempt == 3);
}

TEST_CASE("Vertex: AIP_* dirs, gs:// through the FUSE mount, CLUSTER_SPEC ranks") {
  mlbox::fs::TempDir tmp;
  stdfs::create_directories(tmp.path() / "gcs/bucket");
  std::string spec = R"({"cluster":{"workerpool0":["chief-0:2222"],
      "workerpool1":["w-0:2222","w-1:2222"]},"environment":"cloud",
      "task":{"type":"workerpool1","index":1},"job":"{}"})";
  auto l = resolve_platform({{"AIP_MODEL_DIR", "gs://bucket/run/model"},
                             {"AIP_CHECKPOINT_DIR", "gs://bucket/run/checkpoints"},
                             {"AIP_TENSORBOARD_LOG_DIR", "gs://bucket/run/logs"},
                             {"CLOUD_ML_JOB_ID", "123"},
                             {"CLUSTER_SPEC", spec}},
                            isolated(tmp.path()));
  CHECK(l.platform == "vertex");
  CHECK(l.model_dir == (tmp.path() / "gcs/bucket/run/model").string());
  CHECK(l.checkpoint_dir == (tmp.path() / "gcs/bucket/run/checkpoints").string());
  CHECK(l.tensorboard_dir == (tmp.path() / "gcs/bucket/run/logs").string());
  CHECK(l.output_dir == (tmp.path() / "gcs/bucket/run").string());
  CHECK(l.job_id == "123");
  CHECK(l.world_size == 3);
  CHECK(l.rank == 2);
  CHECK(l.master_addr == "chief-0");
  CHECK(l.master_port == 2222);
  auto env = l.exported_env();
  CHECK(env.at("RANK") == "2");
  CHECK(env.at("WORLD_SIZE") == "3");
  CHECK(env.at("LOCAL_RANK") == "0");
  CHECK(env.at("MASTER_ADDR") == "chief-0");
  CHECK(env.at("MASTER_PORT") == "2222");
}

TEST_CASE("Vertex: chief is rank 0; MASTER_PORT overrides the spec's port") {
  mlbox::fs::TempDir tmp;
  std::string spec = R"({"cluster":{"workerpool0":["127.0.0.1:5000"],"workerpool1":["h:1"]},
      "task":{"type":"workerpool0","index":0}})";
  auto l =
      resolve_platform({{"CLUSTER_SPEC", spec}, {"MASTER_PORT", "6000"}}, isolated(tmp.path()));
  CHECK(l.rank == 0);
  CHECK(l.world_size == 2);
  CHECK(l.master_addr == "127.0.0.1");
  CHECK(l.master_port == 6000);
}

TEST_CASE("Vertex: malformed CLUSTER_SPEC is a config error; bucket URIs are staged") {
  mlbox::fs::TempDir tmp;
  auto o = isolated(tmp.path());
  o.remote_staging_root = (tmp.path() / "remote").string();
  CHECK_THROWS_AS(resolve_platform({{"CLUSTER_SPEC", "{not json"}}, o), mlbox::Error);
  CHECK_THROWS_AS(resolve_platform({{"CLUSTER_SPEC", R"({"cluster":{"workerpool0":["a:1"]},
      "task":{"type":"workerpool2","index":0}})"}},
                                   o),
                  mlbox::Error);
  // Without the FUSE mount, a gs:// model dir is staged locally and uploaded later; the
  // outputs go to the prefix above the model.
  auto l = resolve_platform({{"AIP_MODEL_DIR", "gs://nobucket/job/model/"}}, o);
  CHECK(l.model_dir == o.remote_staging_root + "/model");
  REQUIRE(l.remotes.size() == 2);
  CHECK(l.remotes[0].role == "model");
  CHECK(l.remotes[0].uri == "gs://nobucket/job/model");
  CHECK(l.remotes[1].role == "output");
  CHECK(l.remotes[1].uri == "gs://nobucket/job");
  CHECK(l.exported_env().at("MLBOX_MODEL_DIR") == l.model_dir);
  auto b = resolve_platform({{"MLBOX_CHECKPOINT_DIR", "s3://b/ck"}}, o);
  REQUIRE(b.remotes.size() == 1);
  CHECK(b.remotes[0].uri == "s3://b/ck");
  CHECK(b.checkpoint_dir == o.remote_staging_root + "/checkpoints");
  try {
    resolve_platform({{"MLBOX_CHECKPOINT_DIR", "ftp://b/ck"}}, o);
    FAIL("expected an error");
  } catch (const mlbox::Error& e) {
    CHECK(e.kind() == mlbox::ErrorKind::kConfig);
    CHECK(std::string(e.what()).find("MLBOX_CHECKPOINT_DIR=ftp://b/ck") != std::string::npos);
  }
  CHECK_THROWS_AS(resolve_platform({{"MLBOX_MODEL_DIR", "s3:///x"}}, o), mlbox::Error);
}

TEST_CASE("AWS Batch: job id, attempt, multi-node rank and main node address") {
  mlbox::fs::TempDir tmp;
  auto o = isolated(tmp.path());
  auto l = resolve_platform({{"AWS_BATCH_JOB_ID", "abc#1"},
                             {"AWS_BATCH_JOB_ATTEMPT", "2"},
                             {"AWS_BATCH_JOB_NODE_INDEX", "1"},
                             {"AWS_BATCH_JOB_NUM_NODES", "2"},
                             {"AWS_BATCH_JOB_MAIN_NODE_INDEX", "0"},
                             {"AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS", "10.0.0.5"}},
                            o);
  CHECK(l.platform == "aws-batch");
  CHECK(l.job_id == "abc#1");
  CHECK(l.attempt == 2);
  CHECK(l.rank == 1);
  CHECK(l.world_size == 2);
  CHECK(l.master_addr == "10.0.0.5");
  CHECK(l.master_port == 29500);
  // The main node is not given its own address: it reaches itself on loopback.
  auto main = resolve_platform({{"AWS_BATCH_JOB_ID", "abc#0"},
                                {"AWS_BATCH_JOB_NODE_INDEX", "0"},
                                {"AWS_BATCH_JOB_NUM_NODES", "2"}},
                               o);
  CHECK(main.rank == 0);
  CHECK(main.master_addr == "127.0.0.1");
  CHECK_THROWS_AS(resolve_platform({{"AWS_BATCH_JOB_ID", "x"},
                                    {"AWS_BATCH_JOB_NODE_INDEX", "2"},
                                    {"AWS_BATCH_JOB_NUM_NODES", "2"}},
                                   o),
                  mlbox::Error);
  CHECK_THROWS_AS(
      resolve_platform({{"AWS_BATCH_JOB_ID", "x"}, {"AWS_BATCH_JOB_ATTEMPT", "zero"}}, o),
      mlbox::Error);
}

TEST_CASE("SageMaker-style /opt/ml tree and SM_HOSTS ranks") {
  mlbox::fs::TempDir tmp;
  auto o = isolated(tmp.path());
  stdfs::create_directories(tmp.path() / "opt-ml/input/data");
  auto l = resolve_platform({{"SM_HOSTS", R"(["algo-2","algo-1"])"},
                             {"SM_CURRENT_HOST", "algo-2"},
                             {"TRAINING_JOB_NAME", "job-7"}},
                            o);
  std::string ml = o.opt_ml_root;
  CHECK(l.platform == "sagemaker");
  CHECK(l.model_dir == ml + "/model");
  CHECK(l.checkpoint_dir == ml + "/checkpoints");
  CHECK(l.data_dir == ml + "/input/data");
  CHECK(l.tensorboard_dir == ml + "/output/tensorboard");
  CHECK(l.output_dir == ml + "/output");
  CHECK(l.job_id == "job-7");
  CHECK(l.rank == 1);
  CHECK(l.world_size == 2);
  CHECK(l.master_addr == "algo-1");
  // AWS Batch images that carry an /opt/ml tree use it too.
  auto b = resolve_platform({{"AWS_BATCH_JOB_ID", "j"}}, o);
  CHECK(b.model_dir == ml + "/model");
}

TEST_CASE("torchrun-style variables are honoured locally; rank must be below world") {
  mlbox::fs::TempDir tmp;
  auto o = isolated(tmp.path());
  auto l = resolve_platform(
      {{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "4242"}},
      o);
  CHECK(l.distributed());
  CHECK(l.rank == 1);
  CHECK(l.master_port == 4242);
  CHECK_THROWS_AS(resolve_platform({{"RANK", "2"}, {"WORLD_SIZE", "2"}}, o), mlbox::Error);
  CHECK_THROWS_AS(resolve_platform({{"MLBOX_PLATFORM", "azure"}}, o), mlbox::Error);
}
