// The native builder's layer cache: layer keys (a digest of everything a layer is made from)
// -> the stored blob's descriptor and diff_id, in .mlbox/layer-cache.json. A hit needs the
// blob in the store too, so a pruned store rebuilds rather than fails. Thread-safe: layers
// are written concurrently; every put rewrites the file atomically, so an interrupted build
// keeps every layer it finished.
#pragma once

#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "builder/build_result.h"
#include "core/events.h"
#include "image/descriptor.h"
#include "image/layer_writer.h"

namespace mlbox::image {
class OciLayout;
}

namespace mlbox::builder {

struct CachedLayer {
  image::Descriptor descriptor;
  std::string diff_id;
  nlohmann::json extra;  // what the writer stored beside it (a deps layer's file list)
};

class LayerCache {
 public:
  explicit LayerCache(std::filesystem::path file);
  std::optional<CachedLayer> get(const std::string& key, const image::OciLayout& store);
  void put(const std::string& key, const image::Descriptor& d, const std::string& diff_id,
           const nlohmann::json& extra = nullptr);

 private:
  std::filesystem::path file_;
  nlohmann::json entries_ = nlohmann::json::object();
  std::mutex mu_;
};

// A layer cached by a key of its inputs: taken from the cache when the key is known and its
// blob is in the store, else written by `write` and cached (with `extra`, which `write` may
// fill). `extra` comes back from a hit.
BuiltLayer cached_layer(const std::string& role, const std::string& key, LayerCache& cache,
                        image::OciLayout& store, image::LayerOptions options, Observer& observer,
                        const std::function<image::LayerResult(image::LayerWriter&)>& write,
                        const std::string& display_name = "", nlohmann::json* extra = nullptr);

}  // namespace mlbox::builder
