// resources: machine, GPU, cpus, memory, spot, nodes, max_runtime.
#include "manifest/manifest_reader.h"

namespace mlbox::manifest {

void ManifestReader::read_resources(const Field& section) {
  static const std::vector<std::string> keys = {"machine", "gpu",   "cpus",       "memory",
                                                "spot",    "nodes", "max_runtime"};
  if (!is_map(section, keys)) return;
  for (const auto& f : fields(section.value, section.path, keys)) {
    if (f.key == "machine") {
      if (auto s = string_of(f, "a machine type like n1-standard-8 or g4dn.xlarge"))
        m_.resources.machine = *s;
    } else if (f.key == "gpu") {
      auto s = string_of(f, "a GPU request like \"T4:1\" (TYPE:COUNT)");
      if (!s) continue;
      auto g = parse_gpu_request(*s);
      if (!g) {
        add(f, "resources.gpu is " + quote_value(*s), "TYPE:COUNT like \"T4:1\" or \"A100:8\"",
            "run 'mlbox machines' to list GPU types");
        continue;
      }
      m_.resources.gpu = *g;
    } else if (f.key == "cpus") {
      if (auto n = int_of(f, 1)) m_.resources.cpus = static_cast<int>(*n);
    } else if (f.key == "memory") {
      std::optional<double> gib;
      if (f.value.IsScalar()) gib = parse_memory_gib(f.value.Scalar());
      if (!gib) {
        add(f, "resources.memory is " + describe(f.value),
            "a size like \"16GB\", \"64GiB\", \"512MB\" or GiB (16)");
        continue;
      }
      m_.resources.memory_gib = *gib;
    } else if (f.key == "spot") {
      if (auto b = bool_of(f)) m_.resources.spot = *b;
    } else if (f.key == "nodes") {
      if (auto n = int_of(f, 1)) m_.resources.nodes = static_cast<int>(*n);
    } else if (f.key == "max_runtime") {
      std::optional<int64_t> secs;
      if (f.value.IsScalar()) secs = parse_duration_seconds(f.value.Scalar());
      if (!secs) {
        add(f, "resources.max_runtime is " + describe(f.value),
            "a duration like \"2h\", \"90m\", \"45s\", \"1h30m\" or seconds (3600)");
        continue;
      }
      m_.resources.max_runtime_seconds = *secs;
    }
  }
}

}  // namespace mlbox::manifest
