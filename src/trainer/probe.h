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
  std::string cuda_runtime;  // empty when torch has no CUDA
  int threads = 0;
  bool cuda_built = false;
  std::vector<DeviceReport> devices;
  bool cpu_matmul_ok = false;
  int usable_gpu_count() const {
    int n = 0;
    for (const auto& d : devices) n += d.matmul_ok ? 1 : 0;
    return n;
  }
  nlohmann::json to_json() const;
  std::string to_text() const;
};

ProbeReport probe_devices();

}  // namespace mlbox::trainer
