#include "registry/image_pusher.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "image/oci_manifest.h"
#include "registry/registry_error.h"
#include "registry/repository_client.h"
#include "util/error.h"
#include "util/fault_point.h"
#include "util/parallel_each.h"

namespace mlbox::registry {

namespace {

constexpr uint64_t kMiB = 1024 * 1024;

struct BlobJob {
  image::Descriptor descriptor;
  std::string role;  // "config", "layer"
};

std::string short_digest(const std::string& digest) {
  auto colon = digest.find(':');
  return digest.substr(colon == std::string::npos ? 0 : colon + 1, 12);
}

}  // namespace

nlohmann::json PushSummary::to_json() const {
  return {{"reference", reference},
          {"digest", digest},
          {"media_type", media_type},
          {"docker_schema2_fallback", docker_fallback},
          {"blobs", blobs},
          {"blobs_skipped", blobs_skipped},
          {"blobs_mounted", blobs_mounted},
          {"blobs_uploaded", blobs_uploaded},
          {"bytes_total", bytes_total},
          {"bytes_uploaded", bytes_uploaded},
          {"upload_resumes", resumes},
          {"upload_restarts", restarts},
          {"monolithic_resends", whole_resends},
          {"http_retries", retries},
          {"seconds", seconds}};
}

uint64_t chunk_size_for(const PushOptions& options, uint64_t size) {
  if (options.chunk_size) return *options.chunk_size;
  return size < 32 * kMiB ? 0 : 16 * kMiB;
}

std::optional<std::string> to_docker_schema2(const image::ImageManifest& manifest) {
  namespace mt = image::media_type;
  nlohmann::json j = image::to_json(manifest);
  j["mediaType"] = mt::kDockerManifest;
  j.erase("annotations");
  j.erase("artifactType");
  j.erase("subject");
  if (j["config"].value("mediaType", "") == mt::kImageConfig) {
    j["config"]["mediaType"] = mt::kDockerConfig;
  }
  j["config"].erase("annotations");
  for (auto& layer : j["layers"]) {
    std::string t = layer.value("mediaType", "");
    if (t == mt::kLayerGzip) {
      layer["mediaType"] = mt::kDockerLayerGzip;
    } else if (t == mt::kLayerTar) {
      layer["mediaType"] = "application/vnd.docker.image.rootfs.diff.tar";
    } else if (t != mt::kDockerLayerGzip) {
      return std::nullopt;
    }
    layer.erase("annotations");
  }
  return image::canonical_json(j);
}

ImagePusher::ImagePusher(RegistryClient& registry, Observer& observer, BlobLocations* locations)
    : registry_(registry), observer_(observer), locations_(locations) {}

PushSummary ImagePusher::push(const image::OciLayout& store, const image::Descriptor& top,
                              const manifest::RegistryReference& dest, const PushOptions& options) {
  auto started = std::chrono::steady_clock::now();
  uint64_t retries_before = registry_.http().retries();
  PushSummary summary;
  std::string reference = dest.tag.empty() ? top.digest : dest.tag;
  summary.reference = dest.registry + "/" + dest.repository +
                      (dest.tag.empty() ? "@" + top.digest : ":" + dest.tag);
  RepositoryClient repo(registry_, dest.repository);

  // What to send: child manifests (for an index) and every blob they name.
  std::vector<image::Descriptor> child_manifests;
  std::vector<image::ImageManifest> manifests;
  if (image::is_index_media_type(top.media_type)) {
    image::ImageIndex index = image::parse_index(store.read_blob(top), top.digest);
    for (const auto& d : index.manifests) {
      if (!store.has_blob(d.digest)) {
        throw Error(ErrorKind::kConfig,
                    fmt::format("{}: the index names manifest {} which the store does not hold",
                                store.root().string(), d.digest),
                    "rebuild the image, or pull the missing platform into the store");
      }
      child_manifests.push_back(d);
      manifests.push_back(store.read_manifest(d));
    }
  } else {
    manifests.push_back(store.read_manifest(top));
  }
  std::vector<BlobJob> jobs;
  auto add = [&](const image::Descriptor& d, const char* role) {
    for (const auto& j : jobs) {
      if (j.descriptor.digest == d.digest) return;
    }
    if (!store.has_blob(d.digest)) {
      throw Error(ErrorKind::kConfig,
                  fmt::format("{}: blob {} ({}) is missing from the store", store.root().string(),
                              d.digest, role),
                  "rebuild the image (mlbox build) so the store is complete");
    }
    jobs.push_back({d, role});
  };
  for (const auto& m : manifests) {
    add(m.config, "config");
    for (const auto& l : m.layers) add(l, "layer");
  }
  std::sort(jobs.begin(), jobs.end(), [](const BlobJob& a, const BlobJob& b) {
    return a.descriptor.size > b.descriptor.size;
  });
  summary.blobs = static_cast<int>(jobs.size());
  for (const auto& j : jobs) summary.bytes_total += static_cast<uint64_t>(j.descriptor.size);

  // Blobs in parallel: N workers take the next blob, largest first.
  std::mutex mutex;
  auto push_blob = [&](size_t i) {
    const auto& d = jobs[i].descriptor;
    uint64_t size = static_cast<uint64_t>(d.size);
    std::string label = fmt::format("{} {}", jobs[i].role, short_digest(d.digest));
    auto report = [&](uint64_t done, const char* state) {
      observer_.on_event(ProgressEvent{d.digest, label, done, size, state});
    };
    try {
      if (auto have = repo.blob_size(d.digest); have) {
        report(size, "skipped");
        std::lock_guard lock(mutex);
        ++summary.blobs_skipped;
        return;
      }
      std::string location;
      bool mounted = false;
      if (locations_) {
        for (const auto& from :
             locations_->repositories(d.digest, registry_.host(), dest.repository)) {
          if (repo.mount(d.digest, from, &location)) {
            mounted = true;
            observer_.debug(fmt::format("mounted {} from {}", d.digest, from));
            break;
          }
          if (!location.empty()) break;  // refused: use the session the registry opened
        }
      }
      if (mounted) {
        report(size, "mounted");
        std::lock_guard lock(mutex);
        ++summary.blobs_mounted;
      } else {
        report(0, "running");
        BlobSource source{d.digest, size, store.blob_path(d.digest)};
        UploadStats stats = repo.upload(source, location, chunk_size_for(options, size),
                                        [&](uint64_t done) { report(done, "running"); });
        report(size, "done");
        uint64_t uploaded = 0;
        {
          std::lock_guard lock(mutex);
          uploaded = static_cast<uint64_t>(++summary.blobs_uploaded);
          summary.bytes_uploaded += stats.bytes_sent;
          summary.resumes += stats.resumes;
          summary.restarts += stats.restarts;
          summary.whole_resends += stats.whole_resends;
        }
        fault::reached("blobs-uploaded", uploaded);
      }
      if (locations_) locations_->record(d.digest, registry_.host(), dest.repository);
    } catch (...) {
      report(0, "failed");
      throw;
    }
  };
  try {
    for_each_parallel(jobs.size(), options.jobs, push_blob);
  } catch (...) {
    if (locations_) locations_->save();  // what was learnt before the failure still holds
    throw;
  }
  if (locations_) locations_->save();

  // Every blob is confirmed: manifests now, the tag last.
  auto put_image_manifest = [&](const image::Descriptor& d, const image::ImageManifest& m,
                                const std::string& ref) -> std::pair<std::string, std::string> {
    std::string bytes = store.read_blob(d);
    try {
      return {repo.put_manifest(ref, d.media_type, bytes), d.media_type};
    } catch (const Error& e) {
      bool rejected_oci = e.kind() == ErrorKind::kRemote &&
                          d.media_type == image::media_type::kImageManifest &&
                          (std::string(e.what()).find("HTTP 400") != std::string::npos ||
                           std::string(e.what()).find("HTTP 415") != std::string::npos);
      if (!rejected_oci || !options.docker_fallback) throw;
      auto docker = to_docker_schema2(m);
      if (!docker) throw;
      observer_.warn(
          fmt::format("the registry rejected the OCI manifest ({}); pushing it as "
                      "Docker schema2",
                      e.what()));
      summary.docker_fallback = true;
      std::string digest = repo.put_manifest(ref, image::media_type::kDockerManifest, *docker);
      return {digest, image::media_type::kDockerManifest};
    }
  };
  if (child_manifests.empty()) {
    auto [digest, type] = put_image_manifest(top, manifests[0], reference);
    summary.digest = digest;
    summary.media_type = type;
  } else {
    for (size_t i = 0; i < child_manifests.size(); ++i) {
      repo.put_manifest(child_manifests[i].digest, child_manifests[i].media_type,
                        store.read_blob(child_manifests[i]));
    }
    summary.digest = repo.put_manifest(reference, top.media_type, store.read_blob(top));
    summary.media_type = top.media_type;
  }
  if (!dest.tag.empty()) {
    summary.reference = dest.registry + "/" + dest.repository + ":" + dest.tag;
  } else {
    summary.reference = dest.registry + "/" + dest.repository + "@" + summary.digest;
  }
  summary.retries = registry_.http().retries() - retries_before;
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace mlbox::registry
