#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "cloud/local/runc_spec.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;
using nlohmann::json;

namespace {

const json* find_mount(const json& config, const std::string& dest) {
  for (const auto& m : config["mounts"]) {
    if (m["destination"] == dest) return &m;
  }
  return nullptr;
}

bool has_namespace(const json& config, const std::string& type) {
  for (const auto& n : config["linux"]["namespaces"]) {
    if (n["type"] == type) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("process_args: entrypoint + cmd, or entrypoint + override") {
  image::ContainerConfig c;
  c.entrypoint = std::vector<std::string>{"/opt/mlbox/bin/mlbox-trainer", "--"};
  c.cmd = std::vector<std::string>{"python", "train.py"};
  CHECK(cloud::local::process_args(c) ==
        std::vector<std::string>{"/opt/mlbox/bin/mlbox-trainer", "--", "python", "train.py"});
  CHECK(cloud::local::process_args(c, {"sh", "-c", "true"}) ==
        std::vector<std::string>{"/opt/mlbox/bin/mlbox-trainer", "--", "sh", "-c", "true"});
  image::ContainerConfig none;
  CHECK_THROWS_AS(cloud::local::process_args(none), Error);
}

TEST_CASE("merge_env: job values replace the image's by key, order kept") {
  auto env = cloud::local::merge_env({"PATH=/bin", "LANG=C", "A=1"}, {"A=2", "MLBOX_JOB_ID=x"});
  CHECK(env == std::vector<std::string>{"PATH=/bin", "LANG=C", "A=2", "MLBOX_JOB_ID=x"});
}

TEST_CASE("resolve_user: numeric, names from the rootfs, unknown names refused") {
  fs::TempDir root;
  std::filesystem::create_directories(root.path() / "etc");
  fs::write_file_atomic(root.path() / "etc/passwd",
                        "root:x:0:0:root:/root:/bin/sh\nml:x:1000:1001::/home/ml:/bin/sh\n");
  fs::write_file_atomic(root.path() / "etc/group", "root:x:0:\nstaff:x:50:\n");
  CHECK(cloud::local::resolve_user("", root.path()) == std::pair<uint32_t, uint32_t>{0, 0});
  CHECK(cloud::local::resolve_user("1000", root.path()) ==
        std::pair<uint32_t, uint32_t>{1000, 1001});
  CHECK(cloud::local::resolve_user("ml", root.path()) == std::pair<uint32_t, uint32_t>{1000, 1001});
  CHECK(cloud::local::resolve_user("ml:staff", root.path()) ==
        std::pair<uint32_t, uint32_t>{1000, 50});
  CHECK(cloud::local::resolve_user("7:8", root.path()) == std::pair<uint32_t, uint32_t>{7, 8});
  CHECK_THROWS_AS(cloud::local::resolve_user("nobody-here", root.path()), Error);
}

TEST_CASE("runc_config: read-only root, tmpfs /tmp, binds, namespaces, no new privileges") {
  cloud::local::ContainerSpec spec;
  spec.rootfs = "/cache/rootfs/abc";
  spec.args = {"/bin/sh", "-c", "echo hi"};
  spec.env = {"PATH=/bin", "MLBOX_OUTPUT_DIR=/mlbox/output"};
  spec.cwd = "/app";
  spec.uid = 1000;
  spec.gid = 1000;
  spec.binds = {{"/jobs/x/output", "/mlbox/output", false}, {"/data", "/mlbox/data", true}};
  spec.memory_limit_bytes = 1 << 30;
  spec.cpus = 1.5;
  json c = cloud::local::runc_config(spec);
  CHECK(c["ociVersion"] == "1.0.2");
  CHECK(c["root"]["path"] == "/cache/rootfs/abc");
  CHECK(c["root"]["readonly"] == true);
  CHECK(c["process"]["args"] == json({"/bin/sh", "-c", "echo hi"}));
  CHECK(c["process"]["env"][1] == "MLBOX_OUTPUT_DIR=/mlbox/output");
  CHECK(c["process"]["cwd"] == "/app");
  CHECK(c["process"]["user"]["uid"] == 1000);
  CHECK(c["process"]["noNewPrivileges"] == true);
  CHECK(c["process"]["terminal"] == false);
  for (const char* dest : {"/proc", "/dev", "/sys", "/tmp", "/dev/shm", "/dev/pts"}) {
    CHECK_MESSAGE(find_mount(c, dest) != nullptr, dest);
  }
  CHECK((*find_mount(c, "/tmp"))["type"] == "tmpfs");
  const json* out = find_mount(c, "/mlbox/output");
  REQUIRE(out);
  CHECK((*out)["source"] == "/jobs/x/output");
  CHECK(std::find((*out)["options"].begin(), (*out)["options"].end(), "rw") !=
        (*out)["options"].end());
  const json* data = find_mount(c, "/mlbox/data");
  REQUIRE(data);
  CHECK(std::find((*data)["options"].begin(), (*data)["options"].end(), "ro") !=
        (*data)["options"].end());
  for (const char* ns : {"pid", "ipc", "uts", "mount"}) CHECK(has_namespace(c, ns));
  CHECK_FALSE(has_namespace(c, "network"));  // host network by default
  CHECK(c["linux"]["resources"]["memory"]["limit"] == (1 << 30));
  CHECK(c["linux"]["resources"]["cpu"]["quota"] == 150000);
  CHECK_FALSE(c["linux"].contains("devices"));

  spec.host_network = false;
  CHECK(has_namespace(cloud::local::runc_config(spec), "network"));
}

TEST_CASE("runc_config: GPU devices get a node, a cgroup rule and driver binds") {
  cloud::local::ContainerSpec spec;
  spec.rootfs = "/r";
  spec.args = {"true"};
  spec.gpus.devices = {{"/dev/nvidia0", 'c', 195, 0}, {"/dev/nvidiactl", 'c', 195, 255}};
  spec.gpus.files = {"/usr/lib/x86_64-linux-gnu/libcuda.so.1"};
  json c = cloud::local::runc_config(spec);
  REQUIRE(c["linux"]["devices"].size() == 2);
  CHECK(c["linux"]["devices"][0]["path"] == "/dev/nvidia0");
  CHECK(c["linux"]["devices"][1]["minor"] == 255);
  const json& rules = c["linux"]["resources"]["devices"];
  CHECK(rules[0]["allow"] == false);
  CHECK(rules[1]["allow"] == true);
  CHECK(rules[1]["major"] == 195);
  const json* lib = find_mount(c, "/usr/lib/x86_64-linux-gnu/libcuda.so.1");
  REQUIRE(lib);
  CHECK((*lib)["type"] == "bind");
}

TEST_CASE("detect_nvidia_gpus: nothing without /dev/nvidia*") {
  fs::TempDir dev;
  fs::write_file_atomic(dev.path() / "null", "");
  auto gpus = cloud::local::detect_nvidia_gpus(
      dev.path(), "\tlibcuda.so.1 (libc6,x86-64) => /x/libcuda.so.1\n");
  CHECK(gpus.empty());
  CHECK(gpus.files.empty());
}
