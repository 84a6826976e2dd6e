#include "builder/deps_layers.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "builder/layer_cache.h"
#include "builder/native_builder.h"
#include "core/locked_observer.h"
#include "image/compressor.h"
#include "image/oci_layout.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/strings.h"
#include "util/task_pool.h"

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
  std::vector<nlohmann::json> extras(groups.size());
  std::atomic<size_t> installed{0};
  std::once_flag said_sources;
  LockedObserver locked(observer);
  auto build_one = [&](size_t g) {
    const DepsGroup& group = groups[g];
    std::string key = deps_layer_key(lock, group, in.platform, in.python, in.settings);
    BuiltLayer layer = cached_layer(
        "deps", key, cache, store, options, locked,
        [&](image::LayerWriter& w) {
          if (!in.sources_note.empty()) {
            std::call_once(said_sources, [&] { locked.info(in.sources_note); });
          }
          locked.debug(fmt::format("installing {} for {} / Python {}", describe(lock, group),
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
          extras[g] = {{"files", file_paths(entries, prefix)}};
          ++installed;
          return w.write(std::move(entries));
        },
        "deps " + describe(lock, group), &extras[g]);
    layer.path = group.name;
    return layer;
  };
  // The installs are independent (each into its own staging directory, each layer a function
  // of its own wheel only), so several run at once: a pip run is mostly one core of
  // interpreter start-up, unzipping and hashing. The layers are taken in group order.
  std::vector<std::future<BuiltLayer>> pending;
  {
    // Declared after everything the tasks use: destroyed (queue drained, workers joined) first.
    TaskPool pool(static_cast<unsigned>(
        std::min<size_t>(groups.size(), std::clamp(image::default_thread_count(), 2u, 8u))));
    for (size_t g = 0; g < groups.size(); ++g) {
      pending.push_back(pool.submit([&, g] { return build_one(g); }));
    }
    for (auto& f : pending) f.wait();
  }
  std::vector<BuiltLayer> layers;
  std::map<std::string, std::vector<std::string>> writers;  // file -> groups writing it
  for (size_t g = 0; g < groups.size(); ++g) {
    layers.push_back(pending[g].get());  // the first failure, in group order, is thrown
    if (extras[g].contains("files")) {
      for (const auto& f : extras[g]["files"]) {
        writers[f.get<std::string>()].push_back(groups[g].name);
      }
    }
  }
  for (const auto& [file, names] : writers) {
    if (names.size() < 2) continue;
    observer.warn(fmt::format("{} is written by {}; the image holds {}'s copy (the later layer)",
                              file, join(names, " and "), names.back()));
  }
  if (installed > 0) {
    observer.info(fmt::format("installed {} of {} locked package layers for {} / Python {}",
                              installed.load(), groups.size(), in.platform, in.python));
  }
  return layers;
}

}  // namespace mlbox::builder
