// mlbox-trainer: the image's entrypoint.
//   mlbox-trainer --version | --probe [--json] | layout [--json]
//   mlbox-trainer [supervisor options] -- COMMAND [ARGS...]
//   mlbox-trainer native --config FILE [--require-gpu]   one mlbox-native per GPU, supervised
// No libtorch here: native training is its own program (src/native/), built against the
// image's torch; GPU truth comes from the CUDA driver (trainer/cuda_driver_probe.h).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "trainer/cuda_driver_probe.h"
#include "trainer/gpu_preflight.h"
#include "trainer/metrics_publisher.h"
#include "trainer/native_launch.h"
#include "trainer/peer_stopping.h"
#include "trainer/platform_contract.h"
#include "trainer/process_ranks.h"
#include "trainer/remote_sync.h"
#include "trainer/supervisor.h"
#include "trainer/trial_setup.h"
#include "util/error.h"
#include "util/process.h"

namespace {

using namespace mlbox::trainer;

int usage(FILE* out) {
  std::fprintf(out,
               "usage: mlbox-trainer --version\n"
               "       mlbox-trainer --probe [--json] [--require-gpu]\n"
               "       mlbox-trainer layout [--json]\n"
               "       mlbox-trainer [--grace SECONDS] [--sync-interval SECONDS]\n"
               "                     [--metrics-interval SECONDS]\n"
               "                     [--stage-checkpoints DIR] [--require-gpu] [--no-timestamps]\n"
               "                     -- COMMAND [ARGS...]\n"
               "       mlbox-trainer native --config FILE.json|FILE.yaml [supervisor options]\n"
               "exit codes: 0 ok, the job's own code when it failed, %d preempted (SIGTERM),\n"
               "            %d --require-gpu without a usable GPU, 2 usage, 3 config\n",
               kExitPreempted, kExitNoGpu);
  return out == stderr ? 2 : 0;
}

double parse_seconds(const std::string& flag, const char* value) {
  char* end = nullptr;
  double v = value ? std::strtod(value, &end) : -1;
  if (!value || *end != '\0' || v < 0) {
    throw mlbox::Error(mlbox::ErrorKind::kUsage, flag + " needs a number of seconds >= 0, got '" +
                                                     (value ? value : "") + "'");
  }
  return v;
}

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

struct ModeOptions {
  SupervisorOptions opts;
  bool require_gpu = false;
  std::string staging;
};

// The supervisor settings taken from the environment: read once, before the flags (which
// win), in both modes.
void read_supervisor_env(ModeOptions& m) {
  auto env = current_environment();
  if (auto it = env.find("MLBOX_GRACE_SECONDS"); it != env.end()) {
    m.opts.grace = to_ms(parse_seconds("MLBOX_GRACE_SECONDS", it->second.c_str()));
  }
  if (auto it = env.find("MLBOX_CHECKPOINT_STAGING"); it != env.end()) m.staging = it->second;
  if (auto it = env.find("MLBOX_METRICS_SYNC_SECONDS"); it != env.end()) {
    m.opts.metrics_interval =
        to_ms(parse_seconds("MLBOX_METRICS_SYNC_SECONDS", it->second.c_str()));
  }
}

// Supervisor options shared by command mode and native mode; returns the index after them.
int parse_supervisor_options(int argc, char** argv, int first, bool allow_command, ModeOptions& m) {
  int i = first;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--" && allow_command) return i + 1;
    const char* next = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "--grace") {
      m.opts.grace = to_ms(parse_seconds(a, next));
      ++i;
    } else if (a == "--sync-interval") {
      m.opts.sync_interval = to_ms(parse_seconds(a, next));
      ++i;
    } else if (a == "--metrics-interval") {
      m.opts.metrics_interval = to_ms(parse_seconds(a, next));
      ++i;
    } else if (a == "--stage-checkpoints") {
      if (!next) throw mlbox::Error(mlbox::ErrorKind::kUsage, a + " needs a directory");
      m.staging = next;
      ++i;
    } else if (a == "--require-gpu") {
      m.require_gpu = true;
    } else if (a == "--no-timestamps") {
      m.opts.timestamps = false;
    } else if (allow_command) {
      throw mlbox::Error(mlbox::ErrorKind::kUsage, "unknown option '" + a + "'",
                         "put the command after '--': mlbox-trainer -- python train.py");
    } else {
      return i;
    }
  }
  return i;
}

// Native mode: `mlbox-trainer native --config FILE [options]` runs one mlbox-native per GPU
// under the same supervision as a command.
struct NativeRequest {
  std::string config;
  // `--name=value` arguments a tuning engine appended (Vertex AI), taken by the trial's
  // assignment.
  std::vector<std::string> engine_args;
};

std::string trial_values_text(const mlbox::sweep::TrialAssignment& a) {
  std::string out;
  for (const auto& [k, v] : a.values) out += " " + k + "=" + v;
  return out;
}

int supervise(ModeOptions& m, const NativeRequest* native) {
  auto env = current_environment();
  std::vector<std::string> engine_args = native ? native->engine_args : std::vector<std::string>{};
  std::optional<mlbox::sweep::TrialAssignment> trial =
      apply_trial_assignment(env, native ? engine_args : m.opts.command, native != nullptr);
  if (!engine_args.empty()) {
    throw mlbox::Error(mlbox::ErrorKind::kUsage,
                       "native: unknown argument '" + engine_args[0] + "'",
                       "usage: mlbox-trainer native --config FILE [--require-gpu]");
  }
  PlatformLayout layout = resolve_platform(env);
  create_layout_dirs(layout);
  NativeProgram program;
  if (native) program = locate_native_program(env);  // before anything moves
  RemoteSync remote = start_remote_sync(layout, env);
  GpuCheck gpu = check_gpus_at_start(env, m.require_gpu, stderr);
  if (!gpu.ok) return kExitNoGpu;

  SupervisorOptions& opts = m.opts;
  opts.checkpoint_dir = layout.checkpoint_dir;
  opts.publish_checkpoints = layout.rank == 0;
  if (remote.active()) opts.after_sync = [&remote](const char*) { remote.upload("checkpoints"); };
  // Live metrics: rank 0 derives (native mode) and uploads them while the job runs.
  std::optional<MetricsPublisher> metrics;
  if (layout.rank == 0) {
    metrics.emplace(layout.output_dir, native != nullptr, remote.active() ? &remote : nullptr,
                    stderr);
    opts.publish_metrics = [&metrics, &trial, &env, &layout] {
      metrics->publish();
      if (trial) report_hypertune_metric(*trial, env, layout.output_dir);
    };
  }
  // A plan's trial with the median rule stops itself when its peers in the bucket beat it.
  std::optional<PeerMedianStop> peer_stop;
  if (trial && layout.rank == 0 && stops_itself(*trial)) {
    peer_stop.emplace(*trial, RemoteSync::process_stores());
    opts.stop_check = [&peer_stop, &layout]() -> std::optional<std::string> {
      try {
        return peer_stop->check(layout.output_dir);
      } catch (const std::exception& e) {
        std::fprintf(stderr,
                     "%s mlbox-trainer: warning: early stopping could not read the peers' "
                     "metrics (asked again next round): %s\n",
                     utc_timestamp_now().c_str(), e.what());
        return std::nullopt;
      }
    };
  }
  // The job writes checkpoints to a local staging dir that the supervisor mirrors to the
  // platform's checkpoint location (a network mount on Vertex): always staged off-local.
  std::string staging = m.staging;
  if (staging.empty() && layout.platform != "local") {
    staging =
        (std::filesystem::temp_directory_path() / ("mlbox-checkpoints-" + std::to_string(getpid())))
            .string();
  }
  opts.staging_checkpoint_dir = staging.empty() ? layout.checkpoint_dir : staging;
  opts.env = layout.exported_env();
  if (trial) mlbox::sweep::add_trial_env(*trial, opts.env);
  opts.env["MLBOX_CHECKPOINT_DIR"] = opts.staging_checkpoint_dir;
  opts.output_dir = layout.output_dir;
  opts.attempt = layout.attempt;
  opts.job_id = layout.job_id;
  opts.device = gpu.device;
  int per_node = 1;
  if (native) {
    auto config =
        prepare_native_config(native->config, std::filesystem::temp_directory_path() /
                                                  ("mlbox-native-" + std::to_string(getpid())));
    if (trial) {
      config.json_path = apply_trial_native_config(
          *trial, config.json_path,
          std::filesystem::temp_directory_path() / ("mlbox-trial-" + std::to_string(getpid())));
    }
    opts.command = {program.binary.string(), "--config", config.json_path, "--base",
                    config.base_dir};
    if (m.require_gpu) opts.command.push_back("--require-gpu");
    if (!program.lib_dir.empty()) opts.env["LD_LIBRARY_PATH"] = program.lib_dir.string();
    per_node = native_processes_per_node(env, gpu.usable_gpus);
    opts.ranks = native_rank_environments(layout, per_node);
  } else {
    for (const auto& [k, v] : launcher_environment(layout, gpu.usable_gpus)) opts.env[k] = v;
  }
  std::string where;
  if (layout.distributed()) {
    where = ", node " + std::to_string(layout.rank) + "/" + std::to_string(layout.world_size);
  }
  if (per_node > 1) where += ", " + std::to_string(per_node) + " processes on this node";
  std::fprintf(stderr, "%s mlbox-trainer: platform %s, job %s attempt %d%s\n",
               utc_timestamp_now().c_str(), layout.platform.c_str(), layout.job_id.c_str(),
               layout.attempt, where.c_str());
  if (trial) {
    std::fprintf(stderr, "%s mlbox-trainer: sweep %s %s:%s\n", utc_timestamp_now().c_str(),
                 trial->sweep.c_str(), trial->trial.c_str(), trial_values_text(*trial).c_str());
  }
  SupervisorResult r = run_supervised(opts);
  if (trial && layout.rank == 0) report_hypertune_metric(*trial, env, layout.output_dir);
  finish_remote_sync(remote, layout);
  return r.exit_code;
}

bool is_this_program(const std::string& path) {
  std::error_code ec, ec2;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  auto other = std::filesystem::canonical(path, ec2);
  return !ec && !ec2 && self == other;
}

int run_native_mode(int argc, char** argv);

int run_supervisor_mode(int argc, char** argv, int first) {
  ModeOptions m;
  read_supervisor_env(m);
  int i = parse_supervisor_options(argc, argv, first, true, m);
  for (; i < argc; ++i) m.opts.command.push_back(argv[i]);
  if (m.opts.command.empty()) return usage(stderr);
  // A native image's CMD is `mlbox-trainer native --config ...` behind the ENTRYPOINT
  // `mlbox-trainer --`: one supervisor is enough, so this process runs native mode itself.
  if (m.opts.command.size() >= 2 && m.opts.command[1] == "native" &&
      is_this_program(m.opts.command[0])) {
    std::vector<char*> args = {argv[0]};
    for (size_t k = 1; k < m.opts.command.size(); ++k) {
      args.push_back(m.opts.command[k].data());
    }
    return run_native_mode(static_cast<int>(args.size()), args.data());
  }
  return supervise(m, nullptr);
}

int run_native_mode(int argc, char** argv) {
  ModeOptions m;
  read_supervisor_env(m);  // once: the flags after --config win over it
  NativeRequest request;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      request.config = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      request.config = a.substr(9);
    } else {
      int next = parse_supervisor_options(argc, argv, i, false, m);
      if (next == i && a.rfind("--", 0) == 0 && std::getenv(mlbox::sweep::kParamsEnv)) {
        request.engine_args.push_back(a);  // the tuning engine's; the trial's assignment takes it
        continue;
      }
      if (next == i) {
        throw mlbox::Error(mlbox::ErrorKind::kUsage, "native: unknown argument '" + a + "'",
                           "usage: mlbox-trainer native --config FILE [--require-gpu]");
      }
      i = next - 1;
    }
  }
  if (request.config.empty()) {
    throw mlbox::Error(mlbox::ErrorKind::kUsage, "native: --config FILE is required",
                       "usage: mlbox-trainer native --config FILE [--require-gpu]");
  }
  return supervise(m, &request);
}

// The driver's view, then (when the image has one) what the native program's torch sees.
int run_probe(int argc, char** argv) {
  bool json = false, require_gpu = false;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0)
      json = true;
    else if (std::strcmp(argv[i], "--require-gpu") == 0)
      require_gpu = true;
    else
      throw mlbox::Error(mlbox::ErrorKind::kUsage, std::string("unknown option ") + argv[i]);
  }
  DriverProbe driver = probe_cuda_driver();
  int usable = 0;
  for (const auto& d : driver.devices) usable += d.memory_ok ? 1 : 0;
  std::string native_out;
  int native_rc = -1;
  auto env = current_environment();
  try {
    NativeProgram program = locate_native_program(env);
    std::vector<std::string> cmd = {program.binary.string(), "--probe"};
    if (json) cmd.push_back("--json");
    mlbox::ProcessOptions po;
    if (!program.lib_dir.empty()) po.env["LD_LIBRARY_PATH"] = program.lib_dir.string();
    mlbox::ProcessResult r = mlbox::run_process(cmd, po);
    native_out = r.out + r.err;
    native_rc = r.exit_code;
  } catch (const mlbox::Error&) {
    // No native program in this image: the driver's view is the whole truth.
  }
  if (json) {
    nlohmann::json devs = nlohmann::json::array();
    for (const auto& d : driver.devices) {
      devs.push_back(
          {{"index", d.index},
           {"name", d.name},
           {"total_memory", d.total_memory},
           {"compute_capability", std::to_string(d.major) + "." + std::to_string(d.minor)},
           {"memory_test_ok", d.memory_ok},
           {"error", d.error}});
    }
    nlohmann::json j = {
        {"cuda_driver",
         {{"version", driver.driver_version_text()}, {"error", driver.error}, {"devices", devs}}},
        {"usable_gpus", usable}};
    if (native_rc >= 0) {
      auto t = nlohmann::json::parse(native_out, nullptr, false);
      j["native"] = t.is_discarded() ? nlohmann::json(native_out) : t;
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    if (driver.driver_loaded) {
      std::printf("CUDA driver %s, %zu device(s)\n", driver.driver_version_text().c_str(),
                  driver.devices.size());
    } else {
      std::printf("%s\n", driver.error.c_str());
    }
    for (const auto& d : driver.devices) {
      std::printf("gpu%d %s %llu MiB sm_%d%d memory test %s\n", d.index, d.name.c_str(),
                  static_cast<unsigned long long>(d.total_memory >> 20), d.major, d.minor,
                  d.memory_ok ? "ok" : ("FAILED " + d.error).c_str());
    }
    if (native_rc >= 0) {
      std::printf("mlbox-native (the image's torch):\n%s", native_out.c_str());
    } else {
      std::printf("no mlbox-native in this image (command mode only)\n");
    }
  }
  if (native_rc > 0) return native_rc;
  if (require_gpu && usable == 0) return kExitNoGpu;
  return 0;
}

int dispatch(int argc, char** argv) {
  if (argc < 2) return usage(stderr);
  std::string first = argv[1];
  if (first == "--version") {
    std::printf("mlbox-trainer %s\n", MLBOX_VERSION);
    return 0;
  }
  if (first == "--help" || first == "-h") return usage(stdout);
  if (first == "--probe") return run_probe(argc, argv);
  if (first == "layout") {
    auto layout = resolve_platform(current_environment());
    bool json = argc > 2 && std::strcmp(argv[2], "--json") == 0;
    if (json) {
      std::printf("%s\n", layout.to_json().dump(2).c_str());
    } else {
      for (const auto& [k, v] : layout.exported_env()) std::printf("%s=%s\n", k.c_str(), v.c_str());
    }
    return 0;
  }
  if (first == "native") return run_native_mode(argc, argv);
  return run_supervisor_mode(argc, argv, 1);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return dispatch(argc, argv);
  } catch (const mlbox::Error& e) {
    std::fprintf(stderr, "mlbox-trainer: error: %s\n", e.what());
    if (!e.hint().empty()) std::fprintf(stderr, "  hint: %s\n", e.hint().c_str());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mlbox-trainer: internal error: %s\n", e.what());
    return 1;
  }
}
