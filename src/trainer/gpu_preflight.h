// GPU truth at every start, from the CUDA driver itself (libcuda through dlopen: no torch in
// the supervisor), printed before the job runs; a loud warning when
// the job asked for GPUs and none is usable, or a refusal to start under --require-gpu.
#pragma once

#include <cstdio>
#include <string>

#include "trainer/platform_contract.h"

namespace mlbox::trainer {

struct GpuCheck {
  bool ok = true;  // false: --require-gpu (or MLBOX_REQUIRE_GPU=1) and no usable GPU
  int usable_gpus = 0;
  std::string device;  // "cpu" or "cuda:0 <name>" (summary.json)
};

// Did the job ask for GPUs? MLBOX_GPUS > 0, or NVIDIA_VISIBLE_DEVICES naming devices.
bool job_requested_gpus(const EnvMap& env);

// `driver_library` is overridable for tests.
GpuCheck check_gpus_at_start(const EnvMap& env, bool require_gpu, FILE* log,
                             const std::string& driver_library = "libcuda.so.1");

}  // namespace mlbox::trainer
