// GPU truth: what torch sees, and proof that each device computes.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlbox::trainer {

struct DeviceReport {
  int index = 0;
  std::string name;
  uint64_t total_memory = 0;
  int major = 0, minor = 0;  // compute capability
  bool matmul_ok = false;
  std::string error;
};

struct ProbeReport {
  std::string torch_version;
  // The CUDA driver, queried directly (independent of this libtorch's CUDA support).
  std::string driver_version;                // "12.2"; empty without a driver
  std::string driver_error;                  // why the driver is unusable
  std::vector<DeviceReport> driver_devices;  // matmul_ok = allocation/memset/copy verified
  std::string cuda_runtime;                  // empty when torch has no CUDA
  int threads = 0;
  bool cuda_built = false;
  std::vector<DeviceReport> devices;
  bool cpu_matmul_ok = false;
  int usable_gpu_count() const {
    int n = 0;
    for (const auto& d : devices) n += d.matmul_ok ? 1 : 0;
    int driver_ok = 0;
    for (const auto& d : driver_devices) driver_ok += d.matmul_ok ? 1 : 0;
    return n > driver_ok ? n : driver_ok;
  }
  nlohmann::json to_json() const;
  std::string to_text() const;
};

ProbeReport probe_devices();

}  // namespace mlbox::trainer
