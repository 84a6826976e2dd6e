#include "trainer/gpu_preflight.h"

#include "trainer/cuda_driver_probe.h"
#include "util/utc_time.h"

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

GpuCheck check_gpus_at_start(const EnvMap& env, bool require_gpu, FILE* log,
                             const std::string& driver_library) {
  if (auto it = env.find("MLBOX_REQUIRE_GPU"); it != env.end() && it->second == "1") {
    require_gpu = true;
  }
  DriverProbe driver = probe_cuda_driver(driver_library);
  GpuCheck c;
  std::string ts = utc_now_millis();
  if (driver.driver_loaded) {
    std::fprintf(log, "%s mlbox-trainer: probe: CUDA driver %s, %zu device(s)\n", ts.c_str(),
                 driver.driver_version_text().c_str(), driver.devices.size());
  } else {
    std::fprintf(log, "%s mlbox-trainer: probe: no CUDA driver (%s)\n", ts.c_str(),
                 driver.error.c_str());
  }
  c.device = "cpu";
  for (const auto& d : driver.devices) {
    std::fprintf(log, "%s mlbox-trainer: probe: gpu%d %s %llu MiB sm_%d%d memory test %s\n",
                 ts.c_str(), d.index, d.name.c_str(),
                 static_cast<unsigned long long>(d.total_memory >> 20), d.major, d.minor,
                 d.memory_ok ? "ok" : ("FAILED " + d.error).c_str());
    if (!d.memory_ok) continue;
    ++c.usable_gpus;
    if (c.device == "cpu") c.device = "cuda:" + std::to_string(d.index) + " " + d.name;
  }
  bool wanted = require_gpu || job_requested_gpus(env);
  if (wanted && c.usable_gpus == 0) {
    const char* banner = "************************************************************";
    std::fprintf(
        log,
        "%s\n%s mlbox-trainer: %s: the job asked for GPUs but none is usable "
        "(%s); training would run on the CPU\n%s\n",
        banner, ts.c_str(), require_gpu ? "ERROR" : "WARNING",
        driver.driver_loaded ? "no device passed the driver's memory test" : driver.error.c_str(),
        banner);
    if (require_gpu) c.ok = false;
  }
  std::fflush(log);
  return c;
}

}  // namespace mlbox::trainer
