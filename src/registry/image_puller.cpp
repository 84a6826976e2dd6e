#include "registry/image_puller.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "image/oci_manifest.h"
#include "registry/repository_client.h"
#include "util/error.h"
#include "util/parallel_each.h"

namespace mlbox::registry {

nlohmann::json PullSummary::to_json() const {
  nlohmann::json j = {{"reference", reference},
                      {"digest", digest},
                      {"media_type", media_type},
                      {"tag", tag},
                      {"blobs", blobs},
                      {"blobs_present", blobs_present},
                      {"bytes_downloaded", bytes_downloaded},
                      {"seconds", seconds}};
  if (!index_digest.empty()) j["index_digest"] = index_digest;
  return j;
}

ImagePuller::ImagePuller(RegistryClient& registry, Observer& observer, BlobLocations* locations)
    : registry_(registry), observer_(observer), locations_(locations) {}

FetchedManifest resolve_image_manifest(RepositoryClient& repo, const FetchedManifest& top,
                                       const image::Platform& platform, const std::string& where) {
  FetchedManifest chosen = top;
  if (image::is_index_media_type(top.media_type)) {
    image::ImageIndex index = image::parse_index(top.bytes, where);
    auto pick = image::select_platform(index, platform);
    if (!pick) {
      std::vector<std::string> have;
      for (const auto& m : index.manifests) {
        if (m.platform) have.push_back(image::to_string(*m.platform));
      }
      throw Error(ErrorKind::kRemote,
                  fmt::format("{} has no image for {} (it has: {})", where,
                              image::to_string(platform), fmt::join(have, ", ")),
                  "pick one of those with --platform");
    }
    chosen = repo.get_manifest(pick->digest);
  }
  if (!image::is_manifest_media_type(chosen.media_type)) {
    throw Error(ErrorKind::kRemote,
                fmt::format("{}: unsupported manifest type '{}'", where, chosen.media_type),
                "mlbox pulls OCI and Docker schema2 images");
  }
  return chosen;
}

PullSummary ImagePuller::pull(image::OciLayout& store, const manifest::RegistryReference& ref,
                              const PullOptions& options) {
  auto started = std::chrono::steady_clock::now();
  PullSummary summary;
  RepositoryClient repo(registry_, ref.repository);
  std::string reference = !ref.digest.empty() ? ref.digest : (ref.tag.empty() ? "latest" : ref.tag);
  summary.reference = ref.canonical();
  summary.tag = !options.tag.empty() ? options.tag : (ref.tag.empty() ? "latest" : ref.tag);

  FetchedManifest top = repo.get_manifest(reference);
  FetchedManifest chosen = resolve_image_manifest(repo, top, options.platform, summary.reference);
  if (chosen.digest != top.digest) {  // top was an index: keep it beside the image
    summary.index_digest = top.digest;
    store.put_blob(top.media_type, top.bytes);
  }
  image::ImageManifest manifest = image::parse_manifest(chosen.bytes, summary.reference);
  std::vector<image::Descriptor> blobs{manifest.config};
  for (const auto& l : manifest.layers) blobs.push_back(l);
  std::sort(blobs.begin(), blobs.end(),
            [](const auto& a, const auto& b) { return a.size > b.size; });
  summary.blobs = static_cast<int>(blobs.size());

  std::mutex mutex;
  for_each_parallel(blobs.size(), options.jobs, [&](size_t i) {
    const image::Descriptor& d = blobs[i];
    uint64_t size = static_cast<uint64_t>(d.size);
    std::string label = "blob " + d.digest.substr(7, 12);
    try {
      if (store.has_blob(d.digest)) {
        observer_.on_event(ProgressEvent{d.digest, label, size, size, "cached"});
        std::lock_guard lock(mutex);
        ++summary.blobs_present;
        return;
      }
      std::unique_ptr<image::BlobWriter> writer = store.begin_blob();
      uint64_t received = 0;
      repo.get_blob(
          d.digest,
          [&](const char* data, size_t n) {
            if (received + n > size) return false;  // more than the descriptor says
            writer->write(data, n);
            received += n;
            return true;
          },
          [&](uint64_t got) {
            observer_.on_event(ProgressEvent{d.digest, label, got, size, "running"});
          },
          [&] {
            writer = store.begin_blob();
            received = 0;
          });
      if (received != size) {
        throw Error(
            ErrorKind::kRemote,
            fmt::format("blob {}: got {} bytes, the manifest says {}", d.digest, received, size),
            "the registry served a different blob; do not use this image");
      }
      writer->commit_expecting(d.media_type, d.digest);
      observer_.on_event(ProgressEvent{d.digest, label, size, size, "done"});
      std::lock_guard lock(mutex);
      summary.bytes_downloaded += size;
    } catch (...) {
      observer_.on_event(ProgressEvent{d.digest, label, 0, size, "failed"});
      throw;
    }
  });

  image::Descriptor stored = store.put_blob(chosen.media_type, chosen.bytes);
  if (locations_) {
    for (const auto& d : blobs) locations_->record(d.digest, registry_.host(), ref.repository);
    locations_->save();
  }
  store.tag(summary.tag, stored);
  summary.digest = stored.digest;
  summary.media_type = chosen.media_type;
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace mlbox::registry
