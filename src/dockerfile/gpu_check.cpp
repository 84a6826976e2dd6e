// check_gpu(): can this GPU run this CUDA toolkit / framework wheel? Three things must hold:
// the toolkit compiles for the GPU's compute capability (CUDA 12 has no sm_3x, CUDA 13 none
// below sm_75) and the GPU's last driver branch is new enough for the toolkit; the wheel
// carries kernels for the GPU (a cubin for sm_XY runs on sm_XZ, Z >= Y, same major); the
// wheel's cuDNN supports the GPU.
#include <fmt/format.h>

#include "dockerfile/cuda_matrix.h"
#include "dockerfile/dotted_version.h"
#include "util/strings.h"

namespace mlbox::dockerfile {

namespace {

struct Verdict {
  bool ok = true;
  std::string reason;
};

std::string display_name(std::string_view framework) {
  return framework == "pytorch" ? "torch" : std::string(framework);
}

bool is_cpu(std::string_view cuda) {
  std::string c = to_lower(cuda);
  return c == "cpu" || c == "none" || c == "false";
}

bool kernels_run_on(const std::vector<std::string>& sm, const std::string& cc) {
  auto want = version_parts(cc);
  for (const auto& s : sm) {
    auto have = version_parts(s);
    if (have.size() >= 2 && want.size() >= 2 && have[0] == want[0] && have[1] <= want[1]) {
      return true;
    }
  }
  return false;
}

Verdict toolkit_verdict(const GpuModel& g, const CudaToolkit& t, const std::string& label) {
  if (compare_versions(g.compute_capability, t.min_cc) < 0) {
    return {false, fmt::format("{} supports compute capability >= {}", label, t.min_cc)};
  }
  if (!g.max_driver.empty() && compare_versions(t.min_driver_compat, g.max_driver) > 0) {
    return {false, fmt::format("{} needs driver >= {} and the {} is supported only up to the "
                               "R{} driver branch",
                               label, t.min_driver_compat, g.key, g.max_driver)};
  }
  return {};
}

Verdict build_verdict(const CudaMatrix& m, const GpuModel& g, const Framework& f,
                      const FrameworkRelease& r, const FrameworkBuild& b) {
  const CudaToolkit* t = m.find_cuda(b.cuda);
  std::string label = fmt::format("CUDA {} ({} {})", b.cuda, display_name(f.name), r.version);
  if (t) {
    Verdict v = toolkit_verdict(g, *t, label);
    if (!v.ok) return v;
  }
  if (!kernels_run_on(b.sm, g.compute_capability)) {
    return {false, fmt::format("the {} {} CUDA {} wheels have kernels for compute capability {} "
                               "only",
                               display_name(f.name), r.version, b.cuda, join(b.sm, ", "))};
  }
  std::string cudnn_min = m.cudnn_min_compute_capability(b.cudnn);
  if (!cudnn_min.empty() && compare_versions(g.compute_capability, cudnn_min) < 0) {
    return {false, fmt::format("{} uses cuDNN {}, which supports compute capability >= {}", label,
                               b.cudnn, cudnn_min)};
  }
  return {};
}

std::optional<GpuRunnable> newest_build_of(const CudaMatrix& m, const GpuModel& g,
                                           const Framework& f, const FrameworkRelease& r) {
  for (auto b = r.builds.rbegin(); b != r.builds.rend(); ++b) {
    if (build_verdict(m, g, f, r, *b).ok) return GpuRunnable{b->cuda, r.version};
  }
  return std::nullopt;
}

Error unknown(const std::string& what, std::string_view name, std::vector<std::string> known) {
  auto near = did_you_mean(name, known);
  return Error(ErrorKind::kConfig,
               fmt::format("unknown {} '{}'; known: {}", what, name, join(known, ", ")),
               near ? fmt::format("did you mean '{}'?", *near) : std::string());
}

}  // namespace

std::optional<GpuRunnable> newest_runnable(const CudaMatrix& m, const GpuModel& g,
                                           std::string_view framework) {
  const Framework* f = m.find_framework(framework);
  if (!f) {
    for (auto t = m.cuda.rbegin(); t != m.cuda.rend(); ++t) {
      if (toolkit_verdict(g, *t, "").ok) return GpuRunnable{t->version, ""};
    }
    return std::nullopt;
  }
  for (auto r = f->releases.rbegin(); r != f->releases.rend(); ++r) {
    if (auto found = newest_build_of(m, g, *f, *r)) return found;
  }
  return std::nullopt;
}

std::optional<Error> check_gpu(const CudaMatrix& m, std::string_view gpu, std::string_view cuda,
                               std::string_view framework, std::string_view framework_version,
                               std::string_view machine) {
  const GpuModel* g = m.find_gpu(gpu);
  if (!g) return unknown("GPU", gpu, m.gpu_keys());
  if (is_cpu(cuda)) return std::nullopt;

  Verdict v;
  std::string fw = to_lower(framework);
  const Framework* f = nullptr;
  const FrameworkRelease* r = nullptr;
  if (fw.empty() || fw == "none") {
    if (cuda.empty()) return std::nullopt;
    const CudaToolkit* t = m.find_cuda(cuda);
    if (!t) {
      std::vector<std::string> known;
      for (const auto& x : m.cuda) known.push_back(x.version);
      return unknown("CUDA version", cuda, known);
    }
    v = toolkit_verdict(*g, *t, "CUDA " + t->version);
  } else {
    f = m.find_framework(fw);
    if (!f) return unknown("framework", framework, {"pytorch", "tensorflow", "none"});
    r = f->find_release(framework_version);
    if (!r) {
      std::vector<std::string> known;
      for (const auto& x : f->releases) known.push_back(x.version);
      return unknown(f->name + " version", framework_version, known);
    }
    std::string want = cuda.empty() ? r->default_cuda : std::string(cuda);
    const FrameworkBuild* b = r->find_build(want);
    if (!b) {
      std::vector<std::string> known;
      for (const auto& x : r->builds) known.push_back(x.cuda);
      return unknown(fmt::format("CUDA build of {} {}", f->name, r->version), want, known);
    }
    v = build_verdict(m, *g, *f, *r, *b);
  }
  if (v.ok) return std::nullopt;

  std::string who = machine.empty() ? g->name : fmt::format("{} has {}", machine, g->name);
  std::string message =
      fmt::format("{} (compute capability {}); {}", who, g->compute_capability, v.reason);
  std::string hint;
  auto best = newest_runnable(m, *g, f ? f->name : "none");
  if (!best) {
    message += fmt::format("; nothing in the CUDA matrix runs on a {}", g->key);
    hint = "choose a machine with a newer GPU (see `mlbox machines`)";
  } else if (f) {
    message += fmt::format("; the newest that runs on a {} is CUDA {} with {} {}", g->key,
                           best->cuda, display_name(f->name), best->framework_version);
    auto same = newest_build_of(m, *g, *f, *r);
    hint = same ? fmt::format(
                      "set cuda: \"{}\" in mlbox.yaml (keeps {} {}), or choose a machine "
                      "with a newer GPU (see `mlbox machines`)",
                      same->cuda, f->name, r->version)
                : fmt::format(
                      "set framework.version: \"{}\" and cuda: \"{}\" in mlbox.yaml, or "
                      "choose a machine with a newer GPU (see `mlbox machines`)",
                      best->framework_version, best->cuda);
  } else {
    message += fmt::format("; the newest CUDA that runs on a {} is {}", g->key, best->cuda);
    hint = fmt::format(
        "set cuda: \"{}\" in mlbox.yaml, or choose a machine with a newer GPU "
        "(see `mlbox machines`)",
        best->cuda);
  }
  return Error(ErrorKind::kConfig, message, hint);
}

}  // namespace mlbox::dockerfile
