#include "image/image_provenance.h"

#include "image/image_config.h"
#include "image/oci_layout.h"
#include "image/oci_manifest.h"

namespace mlbox::image {

nlohmann::json provenance_of(const std::map<std::string, std::string>& labels) {
  nlohmann::json p = nlohmann::json::object();
  if (auto it = labels.find("io.mlbox.lock.digest"); it != labels.end() && !it->second.empty()) {
    p["lock_digest"] = it->second;
  }
  if (auto it = labels.find("org.opencontainers.image.base.name");
      it != labels.end() && !it->second.empty()) {
    p["base_image"] = it->second;
  }
  return p;
}

nlohmann::json provenance_in_store(const std::filesystem::path& store,
                                   const std::string& manifest_digest) {
  OciLayout layout(store, OciLayout::Mode::kReadOnly);
  auto manifest = parse_manifest(layout.read_blob(manifest_digest), manifest_digest);
  auto config = parse_image_config(layout.read_blob(manifest.config), "image config");
  return provenance_of(config.config.labels);
}

}  // namespace mlbox::image
