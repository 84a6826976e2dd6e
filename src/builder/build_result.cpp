#include "builder/build_result.h"

#include <fmt/format.h>

namespace mlbox::builder {

nlohmann::json to_json(const BuildResult& r) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : r.layers) {
    layers.push_back({{"role", l.role},
                      {"digest", l.descriptor.digest},
                      {"size", l.descriptor.size},
                      {"media_type", l.descriptor.media_type},
                      {"diff_id", l.diff_id},
                      {"reused", l.reused},
                      {"files", l.files}});
    if (!l.path.empty()) layers.back()["path"] = l.path;
    if (r.builder == "native") {  // external tools keep their own cache
      layers.back()["cached"] = l.reused && l.role != "base";
      layers.back()["rebuilt"] = l.rebuilt();
      layers.back()["bytes_read"] = l.bytes_read;
    }
  }
  return {{"store", r.store.string()},
          {"tag", r.tag},
          {"builder", r.builder},
          {"reference", fmt::format("oci:{}:{}", r.store.string(), r.tag)},
          {"digest", r.manifest.digest},
          {"manifest", r.manifest.digest},
          {"config", r.config.digest},
          {"layers", layers}};
}

}  // namespace mlbox::builder
