#include "builder/deps_layers.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "builder/layer_cache.h"
#include "builder/native_builder.h"
#include "image/oci_layout.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/strings.h"

namespace mlbox::builder {

namespace stdfs = std::filesystem;

std::vector<DepsGroup> group_locked_packages(const freeze::Lock& lock, size_t max_layers) {
  std::vector<DepsGroup> groups;
  const auto& pkgs = lock.packages;
  if (pkgs.size() <= max_layers || max_layers == 0) {
    for (size_t i = 0; i < pkgs.size(); ++i) {
      groups.push_back({freeze::normalize_name(pkgs[i].name), {i}});
    }
    return groups;
  }
  std::map<size_t, DepsGroup> by_bucket;
  for (size_t i = 0; i < pkgs.size(); ++i) {
    std::string h = sha256_hex(freeze::normalize_name(pkgs[i].name));
    size_t bucket = std::stoull(h.substr(0, 12), nullptr, 16) % max_layers;
    DepsGroup& g = by_bucket[bucket];
    g.name = fmt::format("group-{:02}", bucket);
    g.packages.push_back(i);
  }
  for (auto& [bucket, g] : by_bucket) groups.push_back(std::move(g));
  return groups;
}

std::string deps_layer_key(const freeze::Lock& lock, const DepsGroup& group,
                           const std::string& platform, const std::string& python,
                           const std::string& settings) {
  std::string pins;
  for (size_t i : group.packages) {
    const auto& p = lock.packages[i];
    std::vector<std::string> hashes = p.sha256;
    std::sort(hashes.begin(), hashes.end());
    pins +=
        fmt::format("{}=={}[{}];", freeze::normalize_name(p.name), p.version, join(hashes, ","));
  }
  return fmt::format("deps-package:{}:{}:{}:{}", sha256_hex(pins), platform, python, settings);
}

namespace {

std::string describe(const freeze::Lock& lock, const DepsGroup& group) {
  if (group.packages.size() == 1) {
    const auto& p = lock.packages[group.packages.front()];
    return p.name + " " + p.version;
  }
  return fmt::format("{} ({} packages)", group.name, group.packages.size());
}

// Non-directory paths of a staged install, relative to site-packages.
nlohmann::json file_paths(const std::vector<image::LayerEntry>& entries,
                          const std::string& prefix) {
  nlohmann::json paths = nlohmann::json::array();
  for (const auto& e : entries) {
    if (e.type == image::LayerEntry::Type::kDirectory) continue;
    paths.push_back(e.path.substr(std::min(e.path.size(), prefix.size() + 1)));
  }
  return paths;
}

}  // namespace

std::vector<BuiltLayer> build_deps_layers(const DepsLayerInputs& in, LayerCache& cache,
                                          image::OciLayout& store,
                                          const image::LayerOptions& options, CommandRunner& runner,
                                          Observer& observer) {
  const freeze::Lock& lock = *in.lock;
  const std::string prefix = "opt/mlbox/site-packages";
  std::vector<DepsGroup> groups = group_locked_packages(lock);
  std::vector<BuiltLayer> layers;
  std::map<std::string, std::vector<std::string>> writers;  // file -> groups writing it
  size_t installed = 0;
  for (const auto& group : groups) {
    std::string key = deps_layer_key(lock, group, in.platform, in.python, in.settings);
    nlohmann::json extra;
    BuiltLayer layer = cached_layer(
        "deps", key, cache, store, options, observer,
        [&](image::LayerWriter& w) {
          if (installed == 0 && !in.sources_note.empty()) observer.info(in.sources_note);
          observer.debug(fmt::format("installing {} for {} / Python {}", describe(lock, group),
                                     in.platform, in.python));
          stdfs::create_directories(in.work_dir);
          fs::TempDir stage(in.work_dir, "deps-");
          freeze::Lock part = lock;
          part.packages.clear();
          for (size_t i : group.packages) part.packages.push_back(lock.packages[i]);
          fs::write_file_atomic(stage.path() / "mlbox.lock", part.render());
          install_locked_packages(stage.path() / "mlbox.lock", in.platform, in.python,
                                  stage.path() / "t", *in.sources, runner);
          auto entries = image::entries_from_directory(stage.path() / "t", prefix);
          extra = {{"files", file_paths(entries, prefix)}};
          ++installed;
          return w.write(std::move(entries));
        },
        "deps " + describe(lock, group), &extra);
    layer.path = group.name;
    if (extra.contains("files")) {
      for (const auto& f : extra["files"]) writers[f.get<std::string>()].push_back(group.name);
    }
    layers.push_back(std::move(layer));
  }
  for (const auto& [file, names] : writers) {
    if (names.size() < 2) continue;
    observer.warn(fmt::format("{} is written by {}; the image holds {}'s copy (the later layer)",
                              file, join(names, " and "), names.back()));
  }
  if (installed > 0) {
    observer.info(fmt::format("installed {} of {} locked package layers for {} / Python {}",
                              installed, groups.size(), in.platform, in.python));
  }
  return layers;
}

}  // namespace mlbox::builder
