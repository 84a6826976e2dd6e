#include "native/probe.h"

#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <sstream>

#include "trainer/cuda_driver_probe.h"

#ifdef __has_include
#if __has_include(<ATen/cuda/CUDAContext.h>) && defined(MLBOX_WITH_CUDA)
#include <ATen/cuda/CUDAContext.h>
#define MLBOX_HAVE_CUDA_CONTEXT 1
#endif
#endif

namespace mlbox::trainer {

namespace {

// A small matmul checked against a closed form: ones(n,n) @ ones(n,n) == n everywhere.
bool matmul_works(const torch::Device& device) {
  const int64_t n = 64;
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  auto a = torch::ones({n, n}, opts);
  auto c = torch::matmul(a, a).to(torch::kCPU);
  return torch::allclose(c, torch::full({n, n}, static_cast<float>(n)));
}

}  // namespace

ProbeReport probe_devices() {
  ProbeReport r;
  r.torch_version = TORCH_VERSION;
  r.threads = at::get_num_threads();
  r.cpu_matmul_ok = matmul_works(torch::kCPU);
  r.cuda_built = torch::cuda::is_available() || at::hasCUDA();
  if (at::hasCUDA()) {
    try {
      long v = at::detail::getCUDAHooks().versionCUDART();
      r.cuda_runtime = std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
    } catch (const std::exception&) {
    }
  }
  DriverProbe driver = probe_cuda_driver();
  r.driver_version = driver.driver_version_text();
  r.driver_error = driver.error;
  for (const auto& dd : driver.devices) {
    DeviceReport d;
    d.index = dd.index;
    d.name = dd.name;
    d.total_memory = dd.total_memory;
    d.major = dd.major;
    d.minor = dd.minor;
    d.matmul_ok = dd.memory_ok;
    d.error = dd.error;
    r.driver_devices.push_back(d);
  }
  if (!torch::cuda::is_available()) return r;
  int count = static_cast<int>(torch::cuda::device_count());
  for (int i = 0; i < count; ++i) {
    DeviceReport d;
    d.index = i;
#ifdef MLBOX_HAVE_CUDA_CONTEXT
    const auto* prop = at::cuda::getDeviceProperties(i);
    d.name = prop->name;
    d.total_memory = prop->totalGlobalMem;
    d.major = prop->major;
    d.minor = prop->minor;
#else
    d.name = "cuda:" + std::to_string(i);
#endif
    try {
      d.matmul_ok = matmul_works(torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(i)));
    } catch (const std::exception& e) {
      d.error = e.what();
    }
    r.devices.push_back(d);
  }
  return r;
}

nlohmann::json ProbeReport::to_json() const {
  nlohmann::json devs = nlohmann::json::array();
  for (const auto& d : devices) {
    devs.push_back({{"index", d.index},
                    {"name", d.name},
                    {"total_memory", d.total_memory},
                    {"compute_capability", std::to_string(d.major) + "." + std::to_string(d.minor)},
                    {"matmul_ok", d.matmul_ok},
                    {"error", d.error}});
  }
  nlohmann::json drv = nlohmann::json::array();
  for (const auto& d : driver_devices) {
    drv.push_back({{"index", d.index},
                   {"name", d.name},
                   {"total_memory", d.total_memory},
                   {"compute_capability", std::to_string(d.major) + "." + std::to_string(d.minor)},
                   {"memory_test_ok", d.matmul_ok},
                   {"error", d.error}});
  }
  return {{"torch_version", torch_version},
          {"torch_cuda_runtime", cuda_runtime},
          {"cuda_driver", {{"version", driver_version}, {"error", driver_error}, {"devices", drv}}},
          {"threads", threads},
          {"cuda_built", cuda_built},
          {"cpu_matmul_ok", cpu_matmul_ok},
          {"devices", devs}};
}

std::string ProbeReport::to_text() const {
  std::ostringstream o;
  o << "torch " << torch_version
    << (cuda_runtime.empty() ? " (CPU build)" : " CUDA runtime " + cuda_runtime) << "\n";
  o << "threads " << threads << "\n";
  o << "cpu matmul " << (cpu_matmul_ok ? "ok" : "FAILED") << "\n";
  if (!driver_version.empty()) {
    o << "CUDA driver " << driver_version << ", " << driver_devices.size() << " device(s)\n";
  } else {
    o << driver_error << "\n";
  }
  for (const auto& d : driver_devices) {
    o << "driver gpu" << d.index << " " << d.name << " " << (d.total_memory >> 20) << " MiB sm_"
      << d.major << d.minor << " memory test " << (d.matmul_ok ? "ok" : "FAILED " + d.error)
      << "\n";
  }
  if (devices.empty()) {
    o << "no CUDA device" << (cuda_built ? "" : " (this libtorch was built without CUDA)") << "\n";
  }
  for (const auto& d : devices) {
    o << "cuda:" << d.index << " " << d.name;
    if (d.total_memory) o << " " << (d.total_memory >> 20) << " MiB";
    if (d.major) o << " sm_" << d.major << d.minor;
    o << " matmul " << (d.matmul_ok ? "ok" : "FAILED " + d.error) << "\n";
  }
  return o.str();
}

}  // namespace mlbox::trainer
