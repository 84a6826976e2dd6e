#include "trainer/native_main.h"

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include <yaml-cpp/yaml.h>

#include "trainer/gpu_preflight.h"
#include "trainer/malloc_tuning.h"
#include "trainer/native_config.h"
#include "trainer/native_trainer.h"
#include "trainer/platform_contract.h"
#include "trainer/remote_sync.h"
#include "trainer/supervisor.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace mlbox::trainer {

namespace {

std::atomic<bool> g_stop{false};

void on_stop_signal(int) {
  g_stop.store(true);
}

nlohmann::json yaml_to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json j = nlohmann::json::object();
      for (const auto& kv : n) j[kv.first.as<std::string>()] = yaml_to_json(kv.second);
      return j;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& e : n) j.push_back(yaml_to_json(e));
      return j;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "!") return s;  // quoted
      if (s == "true" || s == "True") return true;
      if (s == "false" || s == "False") return false;
      if (s == "null" || s == "~") return nullptr;
      auto num = nlohmann::json::parse(s, nullptr, false);
      if (num.is_number()) return num;
      return s;
    }
    default:
      return nullptr;
  }
}

NativeConfig load_config_any(const std::string& path) {
  std::string lower = to_lower(path);
  if (!ends_with(lower, ".yaml") && !ends_with(lower, ".yml")) return load_native_config(path);
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw Error(ErrorKind::kConfig, path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                        std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  auto base = std::filesystem::absolute(path).parent_path().string();
  return parse_native_config(yaml_to_json(root), base, path);
}

}  // namespace

int run_native_command(int argc, char** argv) {
  // First thing: a SIGTERM during start-up must still end in an orderly stop.
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  MallocTuning malloc_tuning = tune_malloc_for_training();
  if (!malloc_tuning.applied) {
    std::fprintf(stderr, "mlbox-trainer: malloc tuning off (%s)\n", malloc_tuning.why);
  }
  std::string config_path;
  bool require_gpu = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else if (a == "--require-gpu") {
      require_gpu = true;
    } else {
      throw Error(ErrorKind::kUsage, "native: unknown argument '" + a + "'",
                  "usage: mlbox-trainer native --config FILE.json [--require-gpu]");
    }
  }
  if (config_path.empty()) {
    throw Error(ErrorKind::kUsage, "native: --config FILE is required",
                "usage: mlbox-trainer native --config FILE.json [--require-gpu]");
  }
  NativeConfig config = load_config_any(config_path);
  auto env = current_environment();
  PlatformLayout layout = resolve_platform(env);
  create_layout_dirs(layout);
  RemoteSync remote = start_remote_sync(layout, env);
  GpuCheck gpu = check_gpus_at_start(env, require_gpu, stderr);
  if (!gpu.ok) return kExitNoGpu;

  NativeRunResult r = train_native(config, layout, g_stop, stderr);
  int code = r.preempted ? kExitPreempted : 0;
  if (layout.rank == 0) {
    nlohmann::json j = r.to_json();
    j["exit_code"] = code;
    j["attempt"] = layout.attempt;
    j["device"] = gpu.device;
    j["finished_at"] = utc_timestamp_now();
    fs::write_file_atomic(layout.output_dir + "/native_summary.json", j.dump(2) + "\n");
  }
  finish_remote_sync(remote, layout);
  std::fprintf(stderr, "mlbox-trainer: %s: %lld steps this run (from step %lld), %.1f samples/s\n",
               r.preempted ? "preempted" : "done", static_cast<long long>(r.steps_run),
               static_cast<long long>(r.first_step), r.samples_per_sec);
  return code;
}

}  // namespace mlbox::trainer
