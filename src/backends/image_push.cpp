#include "backends/image_push.h"

#include <fmt/format.h>

#include "cloud/aws/ecr_credentials.h"
#include "config/settings.h"
#include "image/image_config.h"
#include "image/image_provenance.h"
#include "image/oci_layout.h"
#include "image/oci_manifest.h"
#include "manifest/image_ref.h"
#include "registry/blob_locations.h"
#include "registry/image_puller.h"
#include "registry/repository_client.h"
#include "util/error.h"
#include "util/hash.h"

namespace mlbox::backends {

registry::PushSummary push_image(const PushRequest& request, Observer& observer) {
  const std::string& text = request.reference;
  std::string why;
  auto ref = manifest::parse_registry_reference(text, &why);
  if (!ref) {
    throw Error(ErrorKind::kUsage, fmt::format("bad image reference '{}': {}", text, why),
                "write it as HOST[:PORT]/REPOSITORY[:TAG]");
  }
  if (!ref->digest.empty()) {
    throw Error(ErrorKind::kUsage, fmt::format("cannot push to a digest reference '{}'", text),
                "push to a tag: HOST/REPO:TAG");
  }
  image::OciLayout store(request.store);
  std::string tag = image::choose_image_tag(store, request.tag, ref->tag);
  if (ref->tag.empty()) ref->tag = tag;
  auto top = store.resolve(tag);

  RegistryConnection connection(ref->registry, request.registry, observer);
  Observer& events = connection.observer();
  auto ecr = std::make_shared<cloud::aws::EcrCredentials>(connection.http(), config::process_env());
  // ECR answers NAME_UNKNOWN to a push into a repository that does not exist: create it
  // first (unless no_create).
  bool is_ecr = cloud::aws::parse_ecr_host(ref->registry).has_value();
  if (is_ecr) ecr->ensure_repository(ref->registry, ref->repository, !request.no_create, events);
  registry::BlobLocations locations(registry::BlobLocations::default_file());
  registry::ImagePusher pusher(connection.client(), events, &locations);
  registry::PushOptions options;
  options.jobs = request.registry.jobs;
  if (request.chunk_size >= 0) options.chunk_size = static_cast<uint64_t>(request.chunk_size);
  events.info(fmt::format("pushing {}:{} to {}", store.root().string(), tag, ref->canonical()));
  try {
    return pusher.push(store, *top, *ref, options);
  } catch (const Error& e) {
    // The repository vanished between the check and the upload (or the check raced).
    if (!is_ecr || request.no_create ||
        std::string(e.what()).find("NAME_UNKNOWN") == std::string::npos) {
      throw;
    }
    ecr->ensure_repository(ref->registry, ref->repository, true, events);
    return pusher.push(store, *top, *ref, options);
  }
}

std::string registry_digest_of(const std::string& reference, const RegistryOptions& options,
                               Observer& observer) {
  std::string why;
  auto ref = manifest::parse_registry_reference(reference, &why);
  if (!ref) throw Error(ErrorKind::kUsage, "'" + reference + "' is not valid: " + why);
  if (!ref->digest.empty()) return ref->digest;
  RegistryConnection connection(ref->registry, options, observer);
  registry::RepositoryClient repo(connection.client(), ref->repository);
  return repo.get_manifest(ref->tag.empty() ? "latest" : ref->tag).digest;
}

nlohmann::json registry_image_provenance(const std::string& repository, const std::string& digest,
                                         const RegistryOptions& options, Observer& observer) {
  std::string why;
  auto ref = manifest::parse_registry_reference(repository + "@" + digest, &why);
  if (!ref) throw Error(ErrorKind::kUsage, "'" + repository + "@" + digest + "': " + why);
  RegistryConnection connection(ref->registry, options, observer);
  registry::RepositoryClient repo(connection.client(), ref->repository);
  registry::FetchedManifest chosen = registry::resolve_image_manifest(
      repo, repo.get_manifest(digest), registry::PullOptions{}.platform, ref->canonical());
  image::ImageManifest manifest = image::parse_manifest(chosen.bytes, ref->canonical());
  constexpr int64_t kMaxConfig = 8 << 20;  // configs are kilobytes; refuse to buffer a huge one
  if (manifest.config.size > kMaxConfig) {
    throw Error(ErrorKind::kRemote,
                fmt::format("{}: its config is {} bytes", ref->canonical(), manifest.config.size));
  }
  std::string bytes;
  repo.get_blob(
      manifest.config.digest,
      [&](const char* data, size_t n) {
        if (bytes.size() + n > static_cast<size_t>(manifest.config.size)) return false;
        bytes.append(data, n);
        return true;
      },
      nullptr, [&] { bytes.clear(); });
  if (oci_digest(bytes) != manifest.config.digest) {
    throw Error(ErrorKind::kRemote,
                fmt::format("{}: the config the registry served does not match {}",
                            ref->canonical(), manifest.config.digest),
                "the registry served a different blob; do not use this image");
  }
  image::ImageConfig config = image::parse_image_config(bytes, manifest.config.digest);
  return image::provenance_of(config.config.labels);
}

PushEstimate estimate_push(const std::filesystem::path& root, const std::string& reference,
                           const std::string& tag, const RegistryOptions& options,
                           Observer& observer) {
  std::string why;
  auto ref = manifest::parse_registry_reference(reference, &why);
  if (!ref) throw Error(ErrorKind::kUsage, "'" + reference + "' is not valid: " + why);
  if (!std::filesystem::exists(root / "index.json")) {
    throw Error(ErrorKind::kConfig, "no image store at " + root.string(),
                "build the image first: mlbox build");
  }
  image::OciLayout store(root, image::OciLayout::Mode::kReadOnly);
  std::string chosen = image::choose_image_tag(store, tag, ref->tag);
  image::ImageManifest manifest = store.read_manifest(chosen);
  std::vector<image::Descriptor> blobs = manifest.layers;
  blobs.push_back(manifest.config);
  PushEstimate e;
  for (const auto& b : blobs) {
    e.image_bytes += static_cast<uint64_t>(b.size);
    ++e.blobs;
  }
  try {
    RegistryConnection connection(ref->registry, options, observer);
    registry::RepositoryClient repo(connection.client(), ref->repository);
    for (const auto& b : blobs) {
      if (!repo.blob_size(b.digest)) {
        e.bytes_to_push += static_cast<uint64_t>(b.size);
        ++e.blobs_missing;
      }
    }
  } catch (const Error& err) {
    e.registry_problem = err.what();
    e.bytes_to_push = e.image_bytes;
    e.blobs_missing = e.blobs;
  }
  return e;
}

jobs::PushedImage image_push_would_send(const std::filesystem::path& root,
                                        const std::string& reference, const std::string& tag) {
  std::string why;
  auto ref = manifest::parse_registry_reference(reference, &why);
  if (!std::filesystem::exists(root / "index.json")) {
    throw Error(ErrorKind::kConfig, "no image store at " + root.string(),
                "build the image first: mlbox build");
  }
  image::OciLayout store(root, image::OciLayout::Mode::kReadOnly);
  std::string chosen = image::choose_image_tag(store, tag, ref ? ref->tag : std::string());
  return {ref ? ref->canonical() : reference, store.resolve(chosen)->digest};
}

}  // namespace mlbox::backends
