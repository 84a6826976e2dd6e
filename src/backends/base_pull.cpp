#include "backends/base_pull.h"

#include <fmt/format.h>

#include "image/oci_layout.h"
#include "registry/blob_locations.h"
#include "registry/image_puller.h"

namespace mlbox::backends {

namespace {
constexpr const char* kBaseTag = "mlbox-base";
}  // namespace

std::string pull_base_image(const std::filesystem::path& store_root,
                            const manifest::RegistryReference& ref, const RegistryOptions& options,
                            const std::string& platform, Observer& observer) {
  image::OciLayout store(store_root);
  std::string local_ref = fmt::format("oci:{}:{}", store.root().string(), kBaseTag);
  if (!ref.digest.empty() && store.has_blob(ref.digest)) {
    if (auto tagged = store.resolve(kBaseTag); tagged && tagged->digest == ref.digest) {
      return local_ref;
    }
  }
  // The ping settles the scheme (plain HTTP only for --insecure-registry) and auth.
  RegistryConnection connection(ref.registry, options, observer);
  registry::BlobLocations locations(registry::BlobLocations::default_file());
  registry::ImagePuller puller(connection.client(), connection.observer(), &locations);
  registry::PullOptions pull;
  pull.jobs = options.jobs;
  pull.platform = image::parse_platform(platform);
  pull.tag = kBaseTag;
  puller.pull(store, ref, pull);
  return local_ref;
}

}  // namespace mlbox::backends
