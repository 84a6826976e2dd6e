// mlbox-trainer: the image's entrypoint.
//   mlbox-trainer --version | --probe [--json] | layout [--json]
//   mlbox-trainer [supervisor options] -- COMMAND [ARGS...]
//   mlbox-trainer native --config FILE.json [--require-gpu]
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "trainer/gpu_preflight.h"
#include "trainer/native_main.h"
#include "trainer/platform_contract.h"
#include "trainer/probe.h"
#include "trainer/remote_sync.h"
#include "trainer/supervisor.h"
#include "util/error.h"

namespace {

using namespace mlbox::trainer;

int usage(FILE* out) {
  std::fprintf(out,
               "usage: mlbox-trainer --version\n"
               "       mlbox-trainer --probe [--json] [--require-gpu]\n"
               "       mlbox-trainer layout [--json]\n"
               "       mlbox-trainer [--grace SECONDS] [--sync-interval SECONDS]\n"
               "                     [--stage-checkpoints DIR] [--require-gpu] [--no-timestamps]\n"
               "                     -- COMMAND [ARGS...]\n"
               "       mlbox-trainer native --config FILE.json [--require-gpu]\n"
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

int run_supervisor_mode(int argc, char** argv, int first) {
  SupervisorOptions opts;
  bool require_gpu = false;
  std::string staging;
  auto env = current_environment();
  if (auto it = env.find("MLBOX_GRACE_SECONDS"); it != env.end()) {
    opts.grace = to_ms(parse_seconds("MLBOX_GRACE_SECONDS", it->second.c_str()));
  }
  if (auto it = env.find("MLBOX_CHECKPOINT_STAGING"); it != env.end()) staging = it->second;
  int i = first;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    const char* next = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "--grace") {
      opts.grace = to_ms(parse_seconds(a, next));
      ++i;
    } else if (a == "--sync-interval") {
      opts.sync_interval = to_ms(parse_seconds(a, next));
      ++i;
    } else if (a == "--stage-checkpoints") {
      if (!next) throw mlbox::Error(mlbox::ErrorKind::kUsage, a + " needs a directory");
      staging = next;
      ++i;
    } else if (a == "--require-gpu") {
      require_gpu = true;
    } else if (a == "--no-timestamps") {
      opts.timestamps = false;
    } else {
      throw mlbox::Error(mlbox::ErrorKind::kUsage, "unknown option '" + a + "'",
                         "put the command after '--': mlbox-trainer -- python train.py");
    }
  }
  for (; i < argc; ++i) opts.command.push_back(argv[i]);
  if (opts.command.empty()) return usage(stderr);

  PlatformLayout layout = resolve_platform(env);
  create_layout_dirs(layout);
  RemoteSync remote = start_remote_sync(layout, env);
  GpuCheck gpu = check_gpus_at_start(env, require_gpu, stderr);
  if (!gpu.ok) return kExitNoGpu;

  opts.checkpoint_dir = layout.checkpoint_dir;
  if (remote.active()) opts.after_sync = [&remote](const char*) { remote.upload("checkpoints"); };
  // The job writes checkpoints to a local staging dir that the supervisor mirrors to the
  // platform's checkpoint location (a network mount on Vertex): always staged off-local.
  if (staging.empty() && layout.platform != "local") {
    staging =
        (std::filesystem::temp_directory_path() / ("mlbox-checkpoints-" + std::to_string(getpid())))
            .string();
  }
  opts.staging_checkpoint_dir = staging.empty() ? layout.checkpoint_dir : staging;
  opts.env = layout.exported_env();
  opts.env["MLBOX_CHECKPOINT_DIR"] = opts.staging_checkpoint_dir;
  opts.output_dir = layout.output_dir;
  opts.attempt = layout.attempt;
  opts.job_id = layout.job_id;
  opts.device = gpu.device;
  std::fprintf(
      stderr, "%s mlbox-trainer: platform %s, job %s attempt %d%s\n", utc_timestamp_now().c_str(),
      layout.platform.c_str(), layout.job_id.c_str(), layout.attempt,
      layout.distributed()
          ? (", rank " + std::to_string(layout.rank) + "/" + std::to_string(layout.world_size))
                .c_str()
          : "");
  SupervisorResult r = run_supervised(opts);
  finish_remote_sync(remote, layout);
  return r.exit_code;
}

int dispatch(int argc, char** argv) {
  if (argc < 2) return usage(stderr);
  std::string first = argv[1];
  if (first == "--version") {
    std::printf("mlbox-trainer %s\n", MLBOX_VERSION);
    return 0;
  }
  if (first == "--help" || first == "-h") return usage(stdout);
  if (first == "--probe") {
    bool json = false, require_gpu = false;
    for (int i = 2; i < argc; ++i) {
      if (std::strcmp(argv[i], "--json") == 0)
        json = true;
      else if (std::strcmp(argv[i], "--require-gpu") == 0)
        require_gpu = true;
      else
        throw mlbox::Error(mlbox::ErrorKind::kUsage, std::string("unknown option ") + argv[i]);
    }
    auto report = probe_devices();
    std::string text = json ? report.to_json().dump(2) + "\n" : report.to_text();
    std::fputs(text.c_str(), stdout);
    if (!report.cpu_matmul_ok) return 1;
    if (require_gpu && report.usable_gpu_count() == 0) return kExitNoGpu;
    return 0;
  }
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
  if (first == "native") return run_native_command(argc, argv);
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
