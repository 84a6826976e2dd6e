// mlbox-native: native training, compiled against the image's own torch (the wheel mlbox.lock
// pins) and started by mlbox-trainer (the supervisor) as its child, one process per GPU:
//   mlbox-native --version
//   mlbox-native --probe [--json] [--require-gpu]     what this torch sees, a checked matmul
//   mlbox-native --config FILE.json [--base DIR] [--require-gpu]
// The supervisor owns the platform contract's side effects (bucket sync, checkpoint mirror,
// SIGTERM grace, summary.json); this program trains, checkpoints into $MLBOX_CHECKPOINT_DIR
// and stops at the next step when SIGTERM arrives.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "native/malloc_tuning.h"
#include "native/native_config.h"
#include "native/native_trainer.h"
#include "native/probe.h"
#include "trainer/exit_codes.h"
#include "trainer/platform_contract.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/utc_time.h"

#ifndef MLBOX_VERSION
#define MLBOX_VERSION "unknown"
#endif

namespace {

using namespace mlbox;
using namespace mlbox::trainer;

std::atomic<bool> g_stop{false};

void on_stop_signal(int) {
  g_stop.store(true);
}

const char* kUsage =
    "usage: mlbox-native --version\n"
    "       mlbox-native --probe [--json] [--require-gpu]\n"
    "       mlbox-native --config FILE.json [--base DIR] [--require-gpu]\n"
    "mlbox-trainer starts this program (mlbox-trainer native --config FILE); run it directly\n"
    "only to debug.\n";

bool wants_gpu(const EnvMap& env) {
  auto it = env.find("MLBOX_GPUS");
  return it != env.end() && !it->second.empty() && it->second != "0";
}

// What this torch sees, on one line per device, before training starts; under --require-gpu
// a torch without a usable CUDA device stops the run (the driver may see GPUs that a CPU
// build of torch cannot use: the line says which).
int torch_gpu_check(const EnvMap& env, bool require_gpu, std::string& device) {
  ProbeReport report = probe_devices();
  // No timestamps: the supervisor stamps every line of this process.
  std::fprintf(stderr, "mlbox-native: torch %s%s, %d thread(s)\n", report.torch_version.c_str(),
               report.cuda_runtime.empty() ? " (CPU build)"
                                           : (" CUDA runtime " + report.cuda_runtime).c_str(),
               report.threads);
  device = "cpu";
  for (const auto& d : report.devices) {
    std::fprintf(stderr, "mlbox-native: cuda:%d %s matmul %s\n", d.index, d.name.c_str(),
                 d.matmul_ok ? "ok" : ("FAILED " + d.error).c_str());
    if (d.matmul_ok && device == "cpu") device = "cuda:" + std::to_string(d.index) + " " + d.name;
  }
  bool usable = device != "cpu";
  if ((require_gpu || wants_gpu(env)) && !usable) {
    std::fprintf(
        stderr, "mlbox-native: %s: the job asked for GPUs but this torch can use none (%s)\n",
        require_gpu ? "ERROR" : "WARNING",
        report.cuda_built ? "no CUDA device passed the check"
                          : "torch was built without CUDA: pin a CUDA torch in mlbox.lock");
    if (require_gpu) return kExitNoGpu;
  }
  return 0;
}

int run_probe(int argc, char** argv) {
  bool json = false, require_gpu = false;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      json = true;
    } else if (std::strcmp(argv[i], "--require-gpu") == 0) {
      require_gpu = true;
    } else {
      throw Error(ErrorKind::kUsage, std::string("unknown option ") + argv[i], kUsage);
    }
  }
  auto report = probe_devices();
  std::string text = json ? report.to_json().dump(2) + "\n" : report.to_text();
  std::fputs(text.c_str(), stdout);
  if (!report.cpu_matmul_ok) return 1;
  if (require_gpu && report.devices.empty()) return kExitNoGpu;
  return 0;
}

int run_training(int argc, char** argv) {
  // First thing: a SIGTERM during start-up must still end in an orderly stop.
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  MallocTuning malloc_tuning = tune_malloc_for_training();
  if (!malloc_tuning.applied) {
    std::fprintf(stderr, "mlbox-native: malloc tuning off (%s)\n", malloc_tuning.why);
  }
  std::string config_path, base;
  bool require_gpu = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a == "--base" && i + 1 < argc) {
      base = argv[++i];
    } else if (a == "--require-gpu") {
      require_gpu = true;
    } else {
      throw Error(ErrorKind::kUsage, "unknown argument '" + a + "'", kUsage);
    }
  }
  if (config_path.empty()) throw Error(ErrorKind::kUsage, "--config FILE is required", kUsage);
  std::string text = fs::read_file(config_path);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    throw Error(ErrorKind::kConfig, config_path + ": not valid JSON",
                "mlbox-trainer native converts YAML configs; pass JSON here");
  }
  if (base.empty()) base = std::filesystem::absolute(config_path).parent_path().string();
  NativeConfig config = parse_native_config(j, base, config_path);

  auto env = current_environment();
  PlatformLayout layout = resolve_platform(env);
  create_layout_dirs(layout);
  std::string device;
  if (int rc = torch_gpu_check(env, require_gpu, device); rc != 0) return rc;

  NativeRunResult r = train_native(config, layout, g_stop, stderr);
  int code = r.preempted ? kExitPreempted : 0;
  if (layout.rank == 0) {
    nlohmann::json s = r.to_json();
    s["exit_code"] = code;
    s["attempt"] = layout.attempt;
    s["device"] = device;
    s["world_size"] = layout.world_size;
    s["finished_at"] = utc_now_millis();
    fs::write_file_atomic(layout.output_dir + "/native_summary.json", s.dump(2) + "\n");
  }
  std::fprintf(stderr, "mlbox-native: %s: %lld steps this run (from step %lld), %.1f samples/s\n",
               r.preempted ? "preempted" : "done", static_cast<long long>(r.steps_run),
               static_cast<long long>(r.first_step), r.samples_per_sec);
  return code;
}

int dispatch(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string first = argv[1];
  if (first == "--version") {
    std::printf("mlbox-native %s\n", MLBOX_VERSION);
    return 0;
  }
  if (first == "--help" || first == "-h") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (first == "--probe") return run_probe(argc, argv);
  return run_training(argc, argv);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return dispatch(argc, argv);
  } catch (const mlbox::Error& e) {
    std::fprintf(stderr, "mlbox-native: error: %s\n", e.what());
    if (!e.hint().empty()) std::fprintf(stderr, "  hint: %s\n", e.hint().c_str());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mlbox-native: internal error: %s\n", e.what());
    return 1;
  }
}
