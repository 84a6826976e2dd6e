// GPU truth that does not depend on the bundled libtorch: the CUDA driver API
// (libcuda.so.1, injected by the NVIDIA container runtime) loaded with dlopen. Lists devices
// with name, memory and compute capability, and proves each one works with a device
// allocation, a memset and a copy back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mlbox::trainer {

struct DriverDevice {
  int index = 0;
  std::string name;
  uint64_t total_memory = 0;
  int major = 0, minor = 0;
  bool memory_ok = false;  // alloc + memset + copy back verified
  std::string error;
};

struct DriverProbe {
  bool driver_loaded = false;
  std::string error;       // why the driver could not be used
  int driver_version = 0;  // e.g. 12020 = CUDA 12.2
  std::vector<DriverDevice> devices;
  std::string driver_version_text() const;
};

// `library` is overridable for tests ("libcuda.so.1" in images).
DriverProbe probe_cuda_driver(const std::string& library = "libcuda.so.1");

}  // namespace mlbox::trainer
