#include "dockerfile/cuda_matrix.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/embedded.h"
#include "dockerfile/dotted_version.h"
#include "util/strings.h"

namespace mlbox::dockerfile {

namespace {

// Reads one YAML document into a CudaMatrix; yaml-cpp errors become Error(kConfig) with the
// source name, line and column.
class MatrixReader {
 public:
  explicit MatrixReader(std::string_view source) : source_(source) {}

  CudaMatrix read(std::string_view text) {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      throw Error(ErrorKind::kConfig, fmt::format("{}:{}:{}: invalid YAML: {}", source_,
                                                  e.mark.line + 1, e.mark.column + 1, e.msg));
    }
    if (!root.IsMap()) fail(root, "the CUDA matrix must be a mapping");
    CudaMatrix m;
    m.cpu_base_image = str(root, "cpu_base_image");
    for (const auto& kv : map(root, "cuda")) m.cuda.push_back(read_toolkit(kv.first, kv.second));
    std::sort(m.cuda.begin(), m.cuda.end(), [](const auto& a, const auto& b) {
      return compare_versions(a.version, b.version) < 0;
    });
    for (const auto& kv : map(root, "cudnn")) {
      m.cudnn_min_cc[kv.first.as<std::string>()] = str(kv.second, "min_cc");
    }
    for (const auto& kv : map(root, "gpus")) m.gpus.push_back(read_gpu(kv.first, kv.second));
    for (const auto& kv : map(root, "frameworks")) {
      m.frameworks.push_back(read_framework(kv.first.as<std::string>(), kv.second));
    }
    check_references(m, root);
    return m;
  }

 private:
  [[noreturn]] void fail(const YAML::Node& at, const std::string& what) const {
    auto mark = at.Mark();
    throw Error(ErrorKind::kConfig,
                fmt::format("{}:{}:{}: {}", source_, mark.line + 1, mark.column + 1, what));
  }

  YAML::Node map(const YAML::Node& parent, const char* key) const {
    YAML::Node n = parent[key];
    if (!n || !n.IsMap()) fail(parent, fmt::format("'{}' must be a mapping", key));
    return n;
  }

  std::string str(const YAML::Node& parent, const char* key, bool required = true) const {
    YAML::Node n = parent[key];
    if (!n) {
      if (required) fail(parent, fmt::format("missing '{}'", key));
      return {};
    }
    if (!n.IsScalar()) fail(n, fmt::format("'{}' must be a string", key));
    return n.as<std::string>();
  }

  std::vector<std::string> list(const YAML::Node& parent, const char* key) const {
    YAML::Node n = parent[key];
    if (!n || !n.IsSequence()) fail(parent, fmt::format("'{}' must be a list", key));
    std::vector<std::string> out;
    for (const auto& item : n) out.push_back(item.as<std::string>());
    return out;
  }

  CudaToolkit read_toolkit(const YAML::Node& key, const YAML::Node& n) const {
    CudaToolkit t;
    t.version = key.as<std::string>();
    t.full = str(n, "full");
    if (!version_has_prefix(t.full, t.version)) {
      fail(n, fmt::format("cuda {}: full version {} does not start with {}", t.version, t.full,
                          t.version));
    }
    t.min_driver = str(n, "min_driver");
    t.min_driver_compat = str(n, "min_driver_compat");
    YAML::Node cc = n["compute_capability"];
    if (!cc || !cc.IsMap()) fail(n, "cuda " + t.version + ": missing compute_capability");
    t.min_cc = str(cc, "min");
    t.max_cc = str(cc, "max");
    t.ubuntu = str(n, "ubuntu");
    if (YAML::Node tags = n["cudnn_tags"]) {
      for (const auto& kv : tags) t.cudnn_tags[kv.first.as<int>()] = kv.second.as<std::string>();
    }
    return t;
  }

  GpuModel read_gpu(const YAML::Node& key, const YAML::Node& n) const {
    GpuModel g;
    g.key = key.as<std::string>();
    g.name = str(n, "name");
    g.compute_capability = str(n, "compute_capability");
    g.architecture = str(n, "architecture", false);
    if (n["memory_gib"]) g.memory_gib = n["memory_gib"].as<int>();
    g.max_driver = str(n, "max_driver", false);
    return g;
  }

  Framework read_framework(const std::string& name, const YAML::Node& n) const {
    Framework f;
    f.name = name;
    f.cpu_index_url = str(n, "cpu_index_url", false);
    bool cudnn_from_wheel = n["cudnn_from_wheel"] && n["cudnn_from_wheel"].as<bool>();
    for (const auto& kv : map(n, "versions")) {
      const YAML::Node& rn = kv.second;
      FrameworkRelease r;
      r.version = kv.first.as<std::string>();
      r.python = list(rn, "python");
      r.default_cuda = str(rn, "default_cuda");
      r.cudnn_from_wheel =
          rn["cudnn_from_wheel"] ? rn["cudnn_from_wheel"].as<bool>() : cudnn_from_wheel;
      for (const auto& b : map(rn, "builds")) {
        FrameworkBuild fb;
        fb.cuda = b.first.as<std::string>();
        fb.cudnn = str(b.second, "cudnn");
        fb.sm = list(b.second, "sm");
        fb.index_url = str(b.second, "index_url", false);
        r.builds.push_back(std::move(fb));
      }
      std::sort(r.builds.begin(), r.builds.end(),
                [](const auto& a, const auto& b) { return compare_versions(a.cuda, b.cuda) < 0; });
      if (!r.find_build(r.default_cuda)) {
        fail(rn,
             fmt::format("{} {}: default_cuda {} has no build", name, r.version, r.default_cuda));
      }
      f.releases.push_back(std::move(r));
    }
    std::sort(f.releases.begin(), f.releases.end(), [](const auto& a, const auto& b) {
      return compare_versions(a.version, b.version) < 0;
    });
    return f;
  }

  // Every build's CUDA must be a listed toolkit and its cuDNN must have a known floor, so
  // select_base and check_gpu never meet a dangling name.
  void check_references(const CudaMatrix& m, const YAML::Node& root) const {
    for (const auto& f : m.frameworks) {
      for (const auto& r : f.releases) {
        for (const auto& b : r.builds) {
          const CudaToolkit* t = nullptr;
          for (const auto& c : m.cuda) {
            if (c.version == b.cuda) t = &c;
          }
          if (!t) {
            fail(root["frameworks"], fmt::format("{} {} lists CUDA {}, which is not under cuda:",
                                                 f.name, r.version, b.cuda));
          }
          if (m.cudnn_min_compute_capability(b.cudnn).empty()) {
            fail(root["cudnn"], fmt::format("{} {} (CUDA {}) uses cuDNN {}, not under cudnn:",
                                            f.name, r.version, b.cuda, b.cudnn));
          }
        }
      }
    }
  }

  std::string source_;
};

}  // namespace

std::string normalize_gpu_name(std::string_view name) {
  std::string s;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  for (int pass = 0; pass < 2; ++pass) {  // "nvidia tesla" and "tesla nvidia"
    for (std::string_view word : {"nvidia", "tesla"}) {
      if (s.rfind(word, 0) == 0 && s.size() > word.size()) s.erase(0, word.size());
    }
  }
  return s;
}

const FrameworkBuild* FrameworkRelease::find_build(std::string_view cuda) const {
  for (const auto& b : builds) {
    if (compare_versions(b.cuda, version_prefix(cuda, 2)) == 0 && version_parts(cuda).size() >= 2) {
      return &b;
    }
  }
  // A bare major ("12") picks the newest build of that major.
  if (version_parts(cuda).size() == 1) {
    for (auto it = builds.rbegin(); it != builds.rend(); ++it) {
      if (version_has_prefix(it->cuda, cuda)) return &*it;
    }
  }
  return nullptr;
}

const FrameworkRelease* Framework::find_release(std::string_view version) const {
  if (releases.empty()) return nullptr;
  if (version.empty()) return &releases.back();
  auto parts = version_parts(version);
  if (parts.empty()) return nullptr;
  std::string minor = version_prefix(version, 2);
  for (auto it = releases.rbegin(); it != releases.rend(); ++it) {
    if (parts.size() == 1 ? version_has_prefix(it->version, version)
                          : version_prefix(it->version, 2) == minor) {
      return &*it;
    }
  }
  return nullptr;
}

const CudaToolkit* CudaMatrix::find_cuda(std::string_view version) const {
  auto parts = version_parts(version);
  if (parts.empty()) return nullptr;
  for (auto it = cuda.rbegin(); it != cuda.rend(); ++it) {
    if (parts.size() == 1 ? version_has_prefix(it->version, version)
                          : it->version == version_prefix(version, 2)) {
      return &*it;
    }
  }
  return nullptr;
}

const GpuModel* CudaMatrix::find_gpu(std::string_view name) const {
  std::string want = normalize_gpu_name(name);
  if (want.empty()) return nullptr;
  for (const auto& g : gpus) {
    if (normalize_gpu_name(g.key) == want || normalize_gpu_name(g.name) == want) return &g;
  }
  return nullptr;
}

const Framework* CudaMatrix::find_framework(std::string_view name) const {
  std::string n = to_lower(name);
  if (n == "torch") n = "pytorch";
  if (n == "tf") n = "tensorflow";
  for (const auto& f : frameworks) {
    if (f.name == n) return &f;
  }
  return nullptr;
}

std::string CudaMatrix::cudnn_min_compute_capability(std::string_view cudnn) const {
  auto it = cudnn_min_cc.find(version_prefix(cudnn, 2));
  return it == cudnn_min_cc.end() ? std::string() : it->second;
}

std::vector<std::string> CudaMatrix::gpu_keys() const {
  std::vector<std::string> keys;
  for (const auto& g : gpus) keys.push_back(g.key);
  return keys;
}

CudaMatrix parse_cuda_matrix(std::string_view yaml_text, std::string_view source_name) {
  return MatrixReader(source_name).read(yaml_text);
}

const CudaMatrix& builtin_cuda_matrix() {
  static const CudaMatrix matrix =
      parse_cuda_matrix(load_template("cuda-matrix.yaml"), "templates/cuda-matrix.yaml");
  return matrix;
}

}  // namespace mlbox::dockerfile
