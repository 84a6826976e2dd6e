#include "trainer/gpu_preflight.h"

#include "trainer/probe.h"
#include "trainer/supervisor.h"

namespace mlbox::trainer {

bool job_requested_gpus(const EnvMap& env) {
  if (auto it = env.find("MLBOX_GPUS"); it != env.end() && !it->second.empty()) {
    return it->second != "0";
  }
  if (auto it = env.find("NVIDIA_VISIBLE_DEVICES"); it != env.end()) {
    const std::string& v = it->second;
    return !v.empty() && v != "void" && v != "none";
  }
  return false;
}

GpuCheck check_gpus_at_start(const EnvMap& env, bool require_gpu, FILE* log) {
  if (auto it = env.find("MLBOX_REQUIRE_GPU"); it != env.end() && it->second == "1") {
    require_gpu = true;
  }
  ProbeReport report = probe_devices();
  GpuCheck c;
  c.usable_gpus = report.usable_gpu_count();
  std::string ts = utc_timestamp_now();
  std::string text = report.to_text();
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::fprintf(log, "%s mlbox-trainer: probe: %s\n", ts.c_str(),
                 text.substr(start, nl - start).c_str());
  }
  c.device = "cpu";
  for (const auto& d : report.devices) {
    if (d.matmul_ok) {
      c.device = "cuda:" + std::to_string(d.index) + " " + d.name;
      break;
    }
  }
  bool wanted = require_gpu || job_requested_gpus(env);
  if (wanted && c.usable_gpus == 0) {
    const char* banner = "************************************************************";
    std::fprintf(log,
                 "%s\n%s mlbox-trainer: %s: the job asked for GPUs but none is usable "
                 "(%s); training would run on the CPU\n%s\n",
                 banner, ts.c_str(), require_gpu ? "ERROR" : "WARNING",
                 report.cuda_built ? "no CUDA device passed the check"
                                   : "this libtorch was built without CUDA",
                 banner);
    if (require_gpu) c.ok = false;
  }
  std::fflush(log);
  return c;
}

}  // namespace mlbox::trainer
