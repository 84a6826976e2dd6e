#include "builder/layer_cache.h"

#include "builder/entry_command_check.h"
#include "image/oci_layout.h"
#include "util/fs.h"

namespace mlbox::builder {

LayerCache::LayerCache(std::filesystem::path file) : file_(std::move(file)) {
  std::string text;
  if (fs::read_file_if_exists(file_, text)) {
    entries_ = nlohmann::json::parse(text, nullptr, false);
    if (!entries_.is_object()) entries_ = nlohmann::json::object();  // damaged: start over
  }
}

std::optional<CachedLayer> LayerCache::get(const std::string& key, const image::OciLayout& store) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  try {
    CachedLayer c;
    c.descriptor = image::descriptor_from_json(it->at("descriptor"), "layer cache");
    if (!store.has_blob(c.descriptor.digest)) return std::nullopt;
    c.diff_id = it->at("diff_id").get<std::string>();
    if (auto e = it->find("extra"); e != it->end()) c.extra = *e;
    return c;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void LayerCache::put(const std::string& key, const image::Descriptor& d, const std::string& diff_id,
                     const nlohmann::json& extra) {
  std::lock_guard lock(mu_);
  nlohmann::json entry = {{"descriptor", image::to_json(d)}, {"diff_id", diff_id}};
  if (!extra.is_null()) entry["extra"] = extra;
  entries_[key] = std::move(entry);
  fs::write_file_atomic(file_, entries_.dump(2) + "\n");
}

BuiltLayer cached_layer(const std::string& role, const std::string& key, LayerCache& cache,
                        image::OciLayout& store, image::LayerOptions options, Observer& observer,
                        const std::function<image::LayerResult(image::LayerWriter&)>& write,
                        const std::string& display_name, nlohmann::json* extra) {
  BuiltLayer layer;
  layer.role = role;
  const std::string label = (display_name.empty() ? role : display_name) + " layer";
  if (auto hit = cache.get(key, store)) {
    layer.descriptor = hit->descriptor;
    layer.diff_id = hit->diff_id;
    layer.reused = true;
    if (extra) *extra = hit->extra;
    observer.on_event(ProgressEvent{label, label, 0, 0, "cached"});
    return layer;
  }
  options.label = label;
  image::LayerWriter writer(store, options, &observer);
  image::LayerResult r = write(writer);
  remember_layer_paths(r.descriptor.digest, r.paths);
  layer.descriptor = r.descriptor;
  layer.diff_id = r.diff_id;
  layer.files = r.files;
  layer.bytes_read = r.bytes_read;
  cache.put(key, r.descriptor, r.diff_id, extra ? *extra : nlohmann::json());
  return layer;
}

}  // namespace mlbox::builder
