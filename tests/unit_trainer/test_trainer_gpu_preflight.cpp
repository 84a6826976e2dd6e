#include <doctest/doctest.h>

#include "trainer/cuda_driver_probe.h"
#include "trainer/gpu_preflight.h"

using namespace mlbox::trainer;

TEST_CASE("driver probe without a driver library says so instead of failing") {
  DriverProbe p = probe_cuda_driver("libcuda-does-not-exist.so.1");
  CHECK_FALSE(p.driver_loaded);
  CHECK(p.devices.empty());
  CHECK(p.error.find("libcuda-does-not-exist.so.1 not found") != std::string::npos);
  DriverProbe v;
  v.driver_version = 12020;
  CHECK(v.driver_version_text() == "12.2");
}

TEST_CASE("a job asks for GPUs through MLBOX_GPUS or NVIDIA_VISIBLE_DEVICES") {
  CHECK_FALSE(job_requested_gpus({}));
  CHECK(job_requested_gpus({{"MLBOX_GPUS", "2"}}));
  CHECK_FALSE(job_requested_gpus({{"MLBOX_GPUS", "0"}, {"NVIDIA_VISIBLE_DEVICES", "all"}}));
  CHECK(job_requested_gpus({{"NVIDIA_VISIBLE_DEVICES", "all"}}));
  CHECK_FALSE(job_requested_gpus({{"NVIDIA_VISIBLE_DEVICES", "void"}}));
  CHECK_FALSE(job_requested_gpus({{"NVIDIA_VISIBLE_DEVICES", "none"}}));
}
