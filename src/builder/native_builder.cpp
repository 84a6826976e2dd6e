#include "builder/native_builder.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <future>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "builder/context_layers.h"
#include "builder/deps_layers.h"
#include "builder/labels.h"
#include "builder/layer_cache.h"
#include "builder/native_program.h"
#include "builder/site_hook.h"
#include "builder/staged_context.h"
#include "builder/trainer_bundle.h"
#include "core/locked_observer.h"
#include "freeze/lock.h"
#include "image/docker_archive.h"
#include "image/layer_writer.h"
#include "image/oci_copy.h"
#include "image/oci_layout.h"
#include "manifest/image_ref.h"
#include "util/command_words.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/strings.h"
#include "util/task_pool.h"

namespace mlbox::builder {

namespace stdfs = std::filesystem;
using nlohmann::json;

namespace {

// Docker schema2 layer types carry the same bytes as their OCI counterparts.
std::string oci_layer_type(const std::string& media_type) {
  if (media_type == image::media_type::kDockerLayerGzip) return image::media_type::kLayerGzip;
  if (media_type == "application/vnd.docker.image.rootfs.diff.tar") {
    return image::media_type::kLayerTar;
  }
  return media_type;
}

}  // namespace

void append_wheel_sources(std::vector<std::string>& argv, bool no_index,
                          const std::string& index_url,
                          const std::vector<std::string>& find_links) {
  if (no_index) argv.push_back("--no-index");
  if (!index_url.empty()) {
    argv.push_back("--index-url");
    argv.push_back(index_url);
  }
  for (const auto& dir : find_links) {
    argv.push_back("--find-links");
    argv.push_back(dir);
  }
}

void install_locked_packages(const stdfs::path& lock_file, const std::string& platform,
                             const std::string& python_version, const stdfs::path& target,
                             const NativeBuildOptions& o, CommandRunner& runner) {
  std::vector<std::string> argv = {o.python_exe,
                                   "-m",
                                   "pip",
                                   "install",
                                   "--no-deps",
                                   "--require-hashes",
                                   "--only-binary=:all:",
                                   "--no-compile",
                                   "--no-input",
                                   "--disable-pip-version-check",
                                   "--platform",
                                   platform,
                                   "--python-version",
                                   python_version,
                                   "--implementation",
                                   "cp",
                                   "--target",
                                   target.string(),
                                   "-r",
                                   lock_file.string()};
  append_wheel_sources(argv, o.no_index, o.index_url, o.find_links);
  ProcessOptions po;
  po.env["PIP_NO_CACHE_DIR"] = "1";
  po.env["PYTHONDONTWRITEBYTECODE"] = "1";
  ProcessResult r = runner.run(argv, po);
  if (!r.ok()) {
    std::string err(trim(r.err));
    if (err.size() > 2000) err = "..." + err.substr(err.size() - 2000);
    throw Error(
        ErrorKind::kConfig,
        fmt::format("installing {} for {} / Python {} failed (pip exit {}):\n{}",
                    lock_file.filename().string(), platform, python_version, r.exit_code, err),
        "pass the wheel sources used by `mlbox freeze` (--find-links DIR, --no-index, "
        "--index-url URL), or run `mlbox freeze` again");
  }
  // Console scripts name the host's interpreter; in the image it is python3 on PATH.
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(target / "bin", ec)) {
    if (!e.is_regular_file()) continue;
    std::string text;
    if (!fs::read_file_if_exists(e.path(), text) || !starts_with(text, "#!")) continue;
    auto nl = text.find('\n');
    std::string first = text.substr(0, nl);
    if (first.find("python") == std::string::npos) continue;
    text = "#!/usr/bin/env python3" + (nl == std::string::npos ? std::string() : text.substr(nl));
    fs::write_file_atomic(e.path(), text, 0755);
  }
}

namespace {

// A docker-archive base is imported (layers compressed) once per archive content and layer
// settings: the import is tagged in the store under a key of both and reused while it holds.
image::Descriptor import_archive_cached(const stdfs::path& archive, const std::string& reference,
                                        image::OciLayout& store,
                                        const image::CompressionOptions& compression,
                                        Observer* observer) {
  std::error_code ec;
  auto size = stdfs::file_size(archive, ec);
  if (ec) {
    throw Error(ErrorKind::kConfig, archive.string() + ": " + ec.message(),
                "image.base: docker-archive:PATH names a file written by `docker save`");
  }
  auto mtime = stdfs::last_write_time(archive, ec).time_since_epoch().count();
  std::string key =
      sha256_hex(fmt::format("{}\n{}\n{}\n{}\n{}", stdfs::absolute(archive).string(), reference,
                             size, mtime, image::compressor_identity(compression)));
  std::string tag = "mlbox-archive-" + key.substr(0, 16);
  if (auto d = store.resolve(tag); d && store.has_blob(d->digest)) return *d;
  auto imported = image::import_docker_archive(archive, reference, store, compression, observer);
  store.tag(tag, imported.manifest);
  return imported.manifest;
}

}  // namespace

BaseImage import_base_image(const std::string& base, const stdfs::path& project_dir,
                            image::OciLayout& store, const image::CompressionOptions& compression,
                            Observer* observer) {
  std::string why;
  auto source = manifest::parse_image_source(base, &why);
  if (!source) {
    throw Error(ErrorKind::kConfig, fmt::format("image.base '{}': {}", base, why));
  }
  if (source->transport == manifest::ImageSource::Transport::kDockerArchive) {
    // docker-archive:PATH[:REPO:TAG], as skopeo writes it.
    std::string path = source->path, reference;
    if (auto colon = path.find(':'); colon != std::string::npos) {
      reference = path.substr(colon + 1);
      path.resize(colon);
    }
    stdfs::path file = path;
    if (file.is_relative()) file = project_dir / file;
    BaseImage b;
    b.reference = base;
    b.manifest =
        store.read_manifest(import_archive_cached(file, reference, store, compression, observer));
    b.config = store.read_config(b.manifest);
    return b;
  }
  if (source->transport != manifest::ImageSource::Transport::kOciLayout) {
    throw Error(ErrorKind::kConfig,
                fmt::format("the native builder reads its base from an OCI layout or a "
                            "docker-archive; image.base is '{}'",
                            base),
                "copy the base once, e.g. `skopeo copy docker://IMAGE oci:.mlbox/base:TAG`, and "
                "set image.base: oci:.mlbox/base:TAG");
  }
  stdfs::path dir = source->path;
  if (dir.is_relative()) dir = project_dir / dir;
  image::OciLayout from(dir, image::OciLayout::Mode::kReadOnly);
  std::string tag = source->oci_tag;
  if (tag.empty()) {
    auto tags = from.tags();
    if (tags.size() != 1) {
      throw Error(ErrorKind::kConfig,
                  fmt::format("image.base '{}': name a tag, the layout holds {}", base,
                              tags.empty() ? std::string("none") : join(tags, ", ")),
                  "write oci:PATH:TAG");
    }
    tag = tags[0];
  }
  BaseImage b;
  b.reference = base;
  b.manifest = from.read_manifest(tag);
  b.config = from.read_config(b.manifest);
  image::copy_blob(from, store, b.manifest.config);
  for (auto& layer : b.manifest.layers) {
    image::copy_blob(from, store, layer);
    layer.media_type = oci_layer_type(layer.media_type);
  }
  if (b.config.diff_ids.size() != b.manifest.layers.size()) {
    throw Error(ErrorKind::kConfig,
                fmt::format("image.base '{}': {} layers but {} diff_ids in its config", base,
                            b.manifest.layers.size(), b.config.diff_ids.size()));
  }
  return b;
}

NativeBuildResult build_native(const BuildPlan& plan, const NativeBuildOptions& o,
                               CommandRunner& runner, Observer& observer) {
  const manifest::Manifest& m = plan.manifest;
  const stdfs::path project = plan.project_dir.empty()
                                  ? (o.project_dir.empty() ? stdfs::current_path() : o.project_dir)
                                  : plan.project_dir;

  // 1. The build context, scanned before anything is written.
  // The same listing and secret scan as the Dockerfile path's staged context.
  const std::vector<std::string> code_paths = checked_code_files(m, project);
  observer.debug(fmt::format("build context: {} entries", code_paths.size()));

  NativeBuildResult result;
  result.builder = "native";
  result.store = o.store_dir.empty() ? image::project_store_path(project) : o.store_dir;
  result.tag = o.tag.empty() ? "latest" : o.tag;
  image::OciLayout store(result.store);

  // 2. Base.
  if (plan.base.empty()) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: image.base is not set", m.where("image")),
                "the native builder needs image.base: oci:PATH[:TAG], docker-archive:PATH or a "
                "registry reference (or a base recorded by `mlbox freeze`)");
  }
  BaseImage base = import_base_image(o.base_override.empty() ? plan.base : o.base_override, project,
                                     store, o.compression, &observer);
  base.reference = plan.base;
  image::ImageConfig config = base.config;
  std::vector<image::Descriptor> layers = base.manifest.layers;
  for (size_t i = 0; i < layers.size(); ++i) {
    result.layers.push_back({"base", "", layers[i], config.diff_ids[i], true, 0, 0});
  }
  config.created = image::reproducible_created_time();
  config.author.clear();
  auto add = [&](const BuiltLayer& layer, const std::string& created_by,
                 const std::string& comment) {
    layers.push_back(layer.descriptor);
    config.add_layer(layer.diff_id, created_by, comment);
    result.layers.push_back(layer);
  };

  // 3. Deps layers, one per locked package (builder/deps_layers.h), each cached by its pin.
  image::LayerOptions lo;
  lo.compression = o.compression;
  int64_t mtime = image::source_date_epoch();
  LayerCache cache(project / ".mlbox" / "layer-cache.json");
  std::string settings = fmt::format("{}:{}", image::compressor_identity(o.compression), mtime);
  // Where pip finds the locked wheels: the build's flags, else where `mlbox freeze` resolved.
  NativeBuildOptions from = o;
  if (plan.has_lock && from.find_links.empty() && !from.no_index && from.index_url.empty()) {
    const freeze::LockHeader& h = plan.lock.header;
    from.find_links = h.find_links;
    from.no_index = h.no_index;
    from.index_url = h.index_url;
  }
  bool from_lock_header = from.find_links != o.find_links || from.no_index != o.no_index ||
                          from.index_url != o.index_url;
  if (plan.has_lock && !plan.lock.packages.empty()) {
    const freeze::Lock& lock = plan.lock;
    std::string platform =
        lock.header.platform.empty() ? "manylinux2014_x86_64" : lock.header.platform;
    std::string python = lock.header.python.empty() ? m.python.version : lock.header.python;
    DepsLayerInputs in;
    if (from_lock_header) {
      in.sources_note = fmt::format(
          "installing from mlbox freeze's wheel sources{}{}{}", from.no_index ? " --no-index" : "",
          from.index_url.empty() ? "" : " --index-url " + from.index_url,
          from.find_links.empty() ? ""
                                  : " --find-links " + join(from.find_links, " --find-links "));
    }
    in.lock = &lock;
    in.platform = platform;
    in.python = python;
    in.settings = settings;
    in.work_dir = project / ".mlbox";
    in.sources = &from;
    for (const auto& deps : build_deps_layers(in, cache, store, lo, runner, observer)) {
      add(deps,
          fmt::format("RUN pip install --no-deps --require-hashes {} # mlbox native", deps.path),
          "locked package layer");
    }
  }

  // 4. Trainer layer, cached by the bundle's content and the layer settings.
  stdfs::path trainer = o.trainer_binary.empty() ? locate_trainer_binary() : o.trainer_binary;
  stdfs::path trainer_cache =
      o.trainer_cache.empty() ? fs::mlbox_home() / "cache" / "trainer" : o.trainer_cache;
  // It also carries the site hook (builder/site_hook.h) for the image's Python.
  TrainerBundle bundle = ensure_trainer_bundle(trainer, trainer_cache, runner, observer);
  const std::string image_python = plan.has_lock && !plan.lock.header.python.empty()
                                       ? plan.lock.header.python
                                       : m.python.version;
  const std::string hook_path = site_hook_image_path(image_python);
  auto trainer_layer = cached_layer(
      "trainer",
      fmt::format("trainer:{}:{}:{}", bundle.binary_sha256, sha256_hex(hook_path), settings), cache,
      store, lo, observer, [&](image::LayerWriter& w) {
        auto entries = image::entries_from_directory(bundle.dir, "opt/mlbox");
        stdfs::path hook = project / ".mlbox" / "site-hook.pth";
        fs::write_file_atomic(hook, site_hook_text());
        image::LayerEntry e;
        e.path = hook_path;
        e.source = hook;
        e.mode = 0644;
        entries.push_back(e);
        return w.write(std::move(entries));
      });
  add(trainer_layer, "COPY trainer/ /opt/mlbox/ # mlbox native",
      "mlbox-trainer " + bundle.binary_sha256.substr(0, 12));

  // 4b. Native mode: mlbox-native compiled against the lock's torch (builder/native_program.h),
  // cached by what it was built from. Command mode gets none: no libtorch from mlbox.
  if (m.train.native) {
    if (!plan.has_lock) {
      throw Error(ErrorKind::kConfig,
                  "native mode (train.native) needs mlbox.lock with torch: mlbox-native is "
                  "compiled against the image's own torch",
                  "set `framework: {name: pytorch, version: X}` or pin torch in the "
                  "requirements, then run `mlbox freeze`");
    }
    NativeProgramInputs ni;
    ni.lock = &plan.lock;
    ni.lock_path = "mlbox.lock";
    ni.platform =
        plan.lock.header.platform.empty() ? "manylinux2014_x86_64" : plan.lock.header.platform;
    ni.python = plan.lock.header.python.empty() ? m.python.version : plan.lock.header.python;
    ni.python_exe = o.python_exe;
    ni.find_links = from.find_links;
    ni.no_index = from.no_index;
    ni.index_url = from.index_url;
    ni.cache_root = o.native_cache;
    NativeProgram native = ensure_native_program(ni, runner, observer);
    auto native_layer = cached_layer(
        "native", fmt::format("native:{}:{}", native.key, settings), cache, store, lo, observer,
        [&](image::LayerWriter& w) {
          return w.write(image::entries_from_directory(native.dir, "opt/mlbox/native"));
        });
    add(native_layer, "COPY native/ /opt/mlbox/native/ # mlbox native",
        fmt::format("mlbox-native for torch {}", native.torch_version));
  }

  // 5. The context, spread over layers by builder/context_layers.h: vendored directories and
  // large files below the code layer, each cached by the stat of its files, so that a code
  // change re-tars only the code layer. The layers are independent: two at a time are
  // written (a layer of many small files leaves cores idle; each writer already compresses
  // on every core, so more would only multiply threads and buffers), added in order.
  std::vector<ContextPart> parts = split_context(project, code_paths);
  LockedObserver locked(observer);
  std::vector<std::future<BuiltLayer>> context_layers;
  // Declared after everything the tasks use: destroyed (queue drained, workers joined) first.
  TaskPool writers(static_cast<unsigned>(std::min<size_t>(2, parts.size())));
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    context_layers.push_back(writers.submit([&, i] {
      const ContextPart& part = parts[i];
      std::string name = part.role == "vendor" ? "vendor " + part.dir : part.role;
      auto built = cached_layer(
          part.role, fmt::format("{}:{}:{}:{}", part.role, kCodeDir, settings, part.stat_key),
          cache, store, lo, locked,
          [&](image::LayerWriter& w) {
            return w.write(image::entries_from_paths(project, part.paths, kCodeDir));
          },
          name);
      built.path = part.dir;
      return built;
    }));
  }
  context_layers.push_back(writers.submit([&] {
    const ContextPart& part = parts.back();
    // Native mode: the trainer's config travels in the code layer, where CMD points.
    std::string native_config = m.train.native ? m.train.native->dump(2) + "\n" : "";
    std::string key = fmt::format("code:{}:{}:{}:{}", kCodeDir, settings, part.stat_key,
                                  sha256_hex(native_config));
    return cached_layer("code", key, cache, store, lo, locked, [&](image::LayerWriter& w) {
      auto code_entries = image::entries_from_paths(project, part.paths, kCodeDir);
      if (m.train.native) {
        stdfs::path native_json = project / ".mlbox" / "native.json";
        fs::write_file_atomic(native_json, native_config);
        image::LayerEntry e;
        e.path = std::string(kCodeDir) + "/" + kNativeConfigPath;
        e.source = native_json;
        code_entries.push_back(e);
        code_entries = image::normalise_entries(std::move(code_entries));
      }
      return w.write(code_entries);
    });
  }));
  // get() in order; after an exception the pool's destructor lets the others finish.
  for (size_t i = 0; i < parts.size(); ++i) {
    BuiltLayer built = context_layers[i].get();
    const ContextPart& part = parts[i];
    if (part.role == "code") {
      add(built, fmt::format("COPY . /{}/ # mlbox native", kCodeDir), "");
    } else if (part.role == "vendor") {
      add(built,
          fmt::format("COPY {}/ /{}/{}/ # mlbox native: vendored directory", part.dir, kCodeDir,
                      part.dir),
          count_of(part.paths.size(), "file"));
    } else {
      add(built,
          fmt::format("COPY . /{}/ # mlbox native: files of {} bytes or more", kCodeDir,
                      kLargeFileBytes),
          count_of(part.paths.size(), "file"));
    }
  }

  // 6. Config: what the generated Dockerfile sets, with the same labels, so images from
  // either builder read alike.
  auto& c = config.config;
  c.set_env("PYTHONUNBUFFERED", "1");
  c.set_env("PIP_NO_CACHE_DIR", "1");
  c.set_env("PIP_DISABLE_PIP_VERSION_CHECK", "1");
  c.set_env("PYTHONPATH", kImageSitePackages);
  c.set_env("PYTHONUSERBASE", kImageUserBase);
  c.set_env("MLBOX_PYTHON", m.python.version);
  c.working_dir = std::string("/") + kCodeDir;
  c.entrypoint = plan.entrypoint;
  c.cmd = plan.cmd;
  for (const auto& [k, v] : plan.labels) {
    if (!v.empty()) c.labels[k] = v;
  }
  c.labels[kLabelBuilder] = "native";

  result.manifest = store.write_image(config, layers);
  result.config = store.read_manifest(result.manifest).config;
  store.tag(result.tag, result.manifest);
  return result;
}

}  // namespace mlbox::builder
