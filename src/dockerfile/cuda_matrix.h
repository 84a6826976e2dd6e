// The CUDA compatibility matrix (templates/cuda-matrix.yaml): framework release -> CUDA
// builds (cuDNN, compiled GPU architectures, wheel index) -> base image; GPU models and the
// compute capabilities each CUDA toolkit and cuDNN run on. select_base() turns a manifest's
// framework/python/cuda into a concrete base image; check_gpu() says whether a GPU can run it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace mlbox::dockerfile {

struct CudaToolkit {
  std::string version;                    // "12.1"
  std::string full;                       // "12.1.1" (the nvidia/cuda image tag)
  std::string min_driver;                 // Linux driver the toolkit ships with ("530.30.02")
  std::string min_driver_compat;          // oldest driver via minor version compatibility
  std::string min_cc, max_cc;             // compute capabilities the toolkit compiles for
  std::string ubuntu;                     // "22.04"
  std::map<int, std::string> cudnn_tags;  // cuDNN major -> tag token ("cudnn8", "cudnn")
};

struct GpuModel {
  std::string key;                 // "T4" (the name used in mlbox.yaml and machines.yaml)
  std::string name;                // "NVIDIA T4"
  std::string compute_capability;  // "7.5"
  std::string architecture;        // "Turing"
  int memory_gib = 0;
  std::string max_driver;  // last driver branch supporting it ("470"), empty = current
};

struct FrameworkBuild {
  std::string cuda;             // "12.1"
  std::string cudnn;            // "8.9.2.26"
  std::vector<std::string> sm;  // compute capabilities with kernels in the wheel
  std::string index_url;        // torch wheel index; empty for tensorflow
};

struct FrameworkRelease {
  std::string version;                 // "2.3.1"
  std::vector<std::string> python;     // "3.8" ... "3.11"
  std::string default_cuda;            // the build PyPI serves by default
  bool cudnn_from_wheel = false;       // the wheel (or its nvidia-* deps) brings cuDNN
  std::vector<FrameworkBuild> builds;  // oldest CUDA first

  const FrameworkBuild* find_build(std::string_view cuda) const;
};

struct Framework {
  std::string name;                        // "pytorch", "tensorflow"
  std::string cpu_index_url;               // pytorch: https://download.pytorch.org/whl/cpu
  std::vector<FrameworkRelease> releases;  // oldest first

  // "2.3" or "2.3.1" (any patch of a listed minor: builds are per minor); empty = newest.
  const FrameworkRelease* find_release(std::string_view version) const;
};

struct CudaMatrix {
  std::string cpu_base_image;                       // "python:{python}-slim-bookworm"
  std::vector<CudaToolkit> cuda;                    // oldest first
  std::map<std::string, std::string> cudnn_min_cc;  // cuDNN "major.minor" -> min cc
  std::vector<GpuModel> gpus;
  std::vector<Framework> frameworks;

  // "12.1", "12.1.1" or "12" (the newest 12.x).
  const CudaToolkit* find_cuda(std::string_view version) const;
  // "T4", "t4", "NVIDIA T4", "Tesla T4", "NVIDIA_TESLA_T4", "nvidia-tesla-t4" all find T4.
  const GpuModel* find_gpu(std::string_view name) const;
  // "pytorch" / "torch", "tensorflow" / "tf".
  const Framework* find_framework(std::string_view name) const;
  // Lowest compute capability of a cuDNN release ("8.9.2.26" -> "5.0"); empty when unknown.
  std::string cudnn_min_compute_capability(std::string_view cudnn) const;
  std::vector<std::string> gpu_keys() const;
};

// Lower-case alphanumerics without vendor words, for matching GPU spellings:
// "NVIDIA_TESLA_T4", "nvidia-tesla-t4", "Tesla T4" and "T4" all give "t4".
std::string normalize_gpu_name(std::string_view name);

// Parses the matrix; errors name `source_name` and the YAML line. Throws Error(kConfig).
CudaMatrix parse_cuda_matrix(std::string_view yaml_text, std::string_view source_name);
// The matrix compiled into mlbox (templates/cuda-matrix.yaml), parsed once.
const CudaMatrix& builtin_cuda_matrix();

struct BaseSelection {
  std::string framework;          // "pytorch" | "tensorflow" | "none"
  std::string framework_version;  // "2.3.1"; empty for none
  std::string cuda;               // "12.1"; empty = CPU only
  std::string cuda_full;          // "12.1.1"
  std::string cudnn;              // "8.9.2.26"; empty when none is used
  std::string python;             // "3.11"
  std::string base_image;         // "nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04"
  std::string torch_index_url;    // pytorch only: https://download.pytorch.org/whl/cu121
  bool cudnn_in_image = false;    // false: cuDNN comes from the wheel (or is not needed)
  std::string min_driver;         // host driver the CUDA needs (minor version compatibility)
};

// Resolves a framework/python/CUDA request against the matrix. framework: "pytorch",
// "tensorflow" or "none"/""; framework_version empty = newest; python empty = newest the
// release supports; cuda empty = the release's default, "cpu"/"none" = CPU-only.
// Throws Error(kConfig) naming what is supported when the combination does not exist.
BaseSelection select_base(const CudaMatrix& matrix, std::string_view framework,
                          std::string_view framework_version, std::string_view python,
                          std::string_view cuda, bool devel);

// Whether `gpu` can run code built with `cuda` (and, when given, that framework release's
// wheel for that CUDA: its compiled architectures and its cuDNN). cuda empty = the release's
// default; framework empty/"none" = only the toolkit and driver are checked. `machine`, when
// given, prefixes the message ("p2.xlarge has NVIDIA K80 ..."). Returns the reason as an
// Error(kConfig) with a hint naming the newest CUDA (and release) that would run, or nullopt.
std::optional<Error> check_gpu(const CudaMatrix& matrix, std::string_view gpu,
                               std::string_view cuda, std::string_view framework,
                               std::string_view framework_version, std::string_view machine = {});

// The newest (release, build) of `framework` whose wheel runs on `gpu`; for framework
// "none", the newest toolkit. Empty optional when nothing in the matrix runs on it.
struct GpuRunnable {
  std::string cuda;
  std::string framework_version;  // empty for framework "none"
};
std::optional<GpuRunnable> newest_runnable(const CudaMatrix& matrix, const GpuModel& gpu,
                                           std::string_view framework);

}  // namespace mlbox::dockerfile
