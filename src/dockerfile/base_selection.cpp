// select_base(): framework + python + CUDA request -> a concrete base image and wheel index.
#include <fmt/format.h>

#include "dockerfile/cuda_matrix.h"
#include "dockerfile/dotted_version.h"
#include "util/strings.h"

namespace mlbox::dockerfile {

namespace {

constexpr std::string_view kDefaultPython = "3.11";

bool is_cpu(std::string_view cuda) {
  std::string c = to_lower(cuda);
  return c == "cpu" || c == "none" || c == "false";
}

std::string replace_all(std::string s, std::string_view what, std::string_view with) {
  for (size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + with.size())) {
    s.replace(pos, what.size(), with);
  }
  return s;
}

std::string cuda_image(const CudaToolkit& t, const std::string& cudnn_tag, bool devel) {
  std::string flavor = devel ? "devel" : "runtime";
  if (cudnn_tag.empty()) return fmt::format("nvidia/cuda:{}-{}-ubuntu{}", t.full, flavor, t.ubuntu);
  return fmt::format("nvidia/cuda:{}-{}-{}-ubuntu{}", t.full, cudnn_tag, flavor, t.ubuntu);
}

std::vector<std::string> cuda_versions(const CudaMatrix& m) {
  std::vector<std::string> v;
  for (const auto& t : m.cuda) v.push_back(t.version);
  return v;
}

std::vector<std::string> release_versions(const Framework& f) {
  std::vector<std::string> v;
  for (const auto& r : f.releases) v.push_back(r.version);
  return v;
}

std::vector<std::string> build_cudas(const FrameworkRelease& r) {
  std::vector<std::string> v;
  for (const auto& b : r.builds) v.push_back(b.cuda);
  return v;
}

const CudaToolkit& require_cuda(const CudaMatrix& m, std::string_view cuda) {
  const CudaToolkit* t = m.find_cuda(cuda);
  if (!t) {
    throw Error(ErrorKind::kConfig,
                fmt::format("CUDA {} is not in the CUDA matrix; known: {}", cuda,
                            join(cuda_versions(m), ", ")),
                "set cuda: in mlbox.yaml to one of those, or leave it out for the default");
  }
  return *t;
}

std::string cpu_image(const CudaMatrix& m, const std::string& python) {
  return replace_all(m.cpu_base_image, "{python}", python);
}

BaseSelection select_without_framework(const CudaMatrix& m, std::string_view python,
                                       std::string_view cuda, bool devel) {
  BaseSelection s;
  s.framework = "none";
  s.python = python.empty() ? std::string(kDefaultPython) : version_prefix(python, 2);
  if (cuda.empty() || is_cpu(cuda)) {
    s.base_image = cpu_image(m, s.python);
    return s;
  }
  const CudaToolkit& t = require_cuda(m, cuda);
  s.cuda = t.version;
  s.cuda_full = t.full;
  s.min_driver = t.min_driver_compat;
  // Without a framework to pin cuDNN, take the newest cuDNN the CUDA's images carry.
  std::string tag;
  if (!t.cudnn_tags.empty()) {
    tag = t.cudnn_tags.rbegin()->second;
    s.cudnn = std::to_string(t.cudnn_tags.rbegin()->first);
    s.cudnn_in_image = true;
  }
  s.base_image = cuda_image(t, tag, devel);
  return s;
}

std::string pick_python(const Framework& f, const FrameworkRelease& r, std::string_view python) {
  if (python.empty()) {
    // The manifest's default (3.11) when the release supports it, else its newest.
    for (const auto& p : r.python) {
      if (p == kDefaultPython) return p;
    }
    return r.python.back();
  }
  for (const auto& p : r.python) {
    if (compare_versions(p, version_prefix(python, 2)) == 0) return p;
  }
  std::vector<std::string> with;
  for (const auto& other : f.releases) {
    for (const auto& p : other.python) {
      if (compare_versions(p, version_prefix(python, 2)) == 0) with.push_back(other.version);
    }
  }
  throw Error(ErrorKind::kConfig,
              fmt::format("{} {} supports Python {}; Python {} is not one of them", f.name,
                          r.version, join(r.python, ", "), python),
              with.empty() ? "set python.version in mlbox.yaml to one of those"
                           : fmt::format("set python.version to one of those, or use {} {}", f.name,
                                         join(with, " / ")));
}

}  // namespace

BaseSelection select_base(const CudaMatrix& m, std::string_view framework,
                          std::string_view framework_version, std::string_view python,
                          std::string_view cuda, bool devel) {
  std::string fw_name = to_lower(framework);
  if (fw_name.empty() || fw_name == "none") {
    return select_without_framework(m, python, cuda, devel);
  }
  const Framework* f = m.find_framework(fw_name);
  if (!f) {
    std::vector<std::string> names;
    for (const auto& x : m.frameworks) names.push_back(x.name);
    names.push_back("none");
    throw Error(ErrorKind::kConfig,
                fmt::format("unknown framework '{}'; supported: {}", framework, join(names, ", ")),
                "set framework.name in mlbox.yaml to one of those");
  }
  const FrameworkRelease* r = f->find_release(framework_version);
  if (!r) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{} {} is not in the CUDA matrix; supported: {}", f->name,
                            framework_version, join(release_versions(*f), ", ")),
                "set framework.version in mlbox.yaml to one of those (or leave it out for "
                "the newest)");
  }

  BaseSelection s;
  s.framework = f->name;
  s.framework_version =
      version_parts(framework_version).size() >= 3 ? std::string(framework_version) : r->version;
  s.python = pick_python(*f, *r, python);

  if (is_cpu(cuda)) {
    s.base_image = cpu_image(m, s.python);
    if (f->name == "pytorch") s.torch_index_url = f->cpu_index_url;
    return s;
  }
  std::string want = cuda.empty() ? r->default_cuda : std::string(cuda);
  const FrameworkBuild* b = r->find_build(want);
  if (!b) {
    std::vector<std::string> others;
    for (const auto& other : f->releases) {
      if (other.find_build(want)) others.push_back(other.version);
    }
    throw Error(ErrorKind::kConfig,
                fmt::format("{} {} has CUDA builds {}; CUDA {} is not one of them", f->name,
                            r->version, join(build_cudas(*r), ", "), want),
                others.empty()
                    ? fmt::format("set cuda: to one of {} (or leave it out for CUDA {})",
                                  join(build_cudas(*r), ", "), r->default_cuda)
                    : fmt::format("set cuda: to one of {}, or use {} {} for CUDA {}",
                                  join(build_cudas(*r), ", "), f->name, join(others, " / "), want));
  }
  const CudaToolkit& t = require_cuda(m, b->cuda);
  s.cuda = t.version;
  s.cuda_full = t.full;
  s.cudnn = b->cudnn;
  s.min_driver = t.min_driver_compat;
  if (f->name == "pytorch") s.torch_index_url = b->index_url;

  auto parts = version_parts(b->cudnn);
  int cudnn_major = parts.empty() ? 0 : parts[0];
  auto tag = t.cudnn_tags.find(cudnn_major);
  if (tag != t.cudnn_tags.end()) {
    s.base_image = cuda_image(t, tag->second, devel);
    s.cudnn_in_image = true;
  } else if (r->cudnn_from_wheel) {
    s.base_image = cuda_image(t, "", devel);
  } else {
    throw Error(ErrorKind::kConfig,
                fmt::format("{} {} needs cuDNN {} with CUDA {}, and no nvidia/cuda:{} image "
                            "carries cuDNN {}",
                            f->name, r->version, b->cudnn, t.version, t.full, cudnn_major),
                "set image.base in mlbox.yaml to an image that has them");
  }
  return s;
}

}  // namespace mlbox::dockerfile
