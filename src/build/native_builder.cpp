#include "build/native_builder.h"

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "build/labels.h"
#include "build/staged_context.h"
#include "build/trainer_bundle.h"
#include "freeze/lock.h"
#include "image/layer_writer.h"
#include "image/oci_layout.h"
#include "manifest/image_ref.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/strings.h"

namespace mlbox::build {

namespace stdfs = std::filesystem;
using nlohmann::json;

namespace {

// Copies one blob between layouts (a hard link when both are on one file system), checking
// the content against its digest.
void copy_blob(const image::OciLayout& from, image::OciLayout& to, const image::Descriptor& d) {
  if (to.has_blob(d.digest)) return;
  stdfs::path src = from.blob_path(d.digest);
  std::error_code ec;
  if (!stdfs::is_regular_file(src, ec)) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{}: blob {} is missing", from.root().string(), d.digest),
                "the base layout is incomplete; copy it again (skopeo copy ... oci:DIR:TAG)");
  }
  auto w = to.begin_blob();
  FILE* in = std::fopen(src.c_str(), "rb");
  if (!in) throw Error(ErrorKind::kConfig, src.string() + ": cannot open");
  std::vector<char> buf(1 << 20);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), in)) > 0) w->write(buf.data(), n);
  std::fclose(in);
  try {
    w->commit_expecting(d.media_type, d.digest);
  } catch (const Error& e) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: {}", src.string(), e.what()),
                "the base layout is corrupt; copy it again");
  }
}

// Docker schema2 layer types carry the same bytes as their OCI counterparts.
std::string oci_layer_type(const std::string& media_type) {
  if (media_type == image::media_type::kDockerLayerGzip) return image::media_type::kLayerGzip;
  if (media_type == "application/vnd.docker.image.rootfs.diff.tar") {
    return image::media_type::kLayerTar;
  }
  return media_type;
}

struct LayerCache {
  stdfs::path file;
  json entries = json::object();

  explicit LayerCache(stdfs::path f) : file(std::move(f)) {
    std::string text;
    if (fs::read_file_if_exists(file, text)) {
      entries = json::parse(text, nullptr, false);
      if (!entries.is_object()) entries = json::object();  // damaged cache: start over
    }
  }
  std::optional<std::pair<image::Descriptor, std::string>> get(const std::string& key,
                                                               const image::OciLayout& store) {
    auto it = entries.find(key);
    if (it == entries.end()) return std::nullopt;
    try {
      auto d = image::descriptor_from_json(it->at("descriptor"), "layer cache");
      if (!store.has_blob(d.digest)) return std::nullopt;
      return std::make_pair(d, it->at("diff_id").get<std::string>());
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  void put(const std::string& key, const image::Descriptor& d, const std::string& diff_id) {
    entries[key] = {{"descriptor", image::to_json(d)}, {"diff_id", diff_id}};
    fs::write_file_atomic(file, entries.dump(2) + "\n");
  }
};

}  // namespace

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
  if (o.no_index) argv.push_back("--no-index");
  if (!o.index_url.empty()) {
    argv.push_back("--index-url");
    argv.push_back(o.index_url);
  }
  for (const auto& dir : o.find_links) {
    argv.push_back("--find-links");
    argv.push_back(dir);
  }
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

BaseImage import_base_image(const std::string& base, const stdfs::path& project_dir,
                            image::OciLayout& store) {
  std::string why;
  auto source = manifest::parse_image_source(base, &why);
  if (!source) {
    throw Error(ErrorKind::kConfig, fmt::format("image.base '{}': {}", base, why));
  }
  if (source->transport != manifest::ImageSource::Transport::kOciLayout) {
    throw Error(ErrorKind::kConfig,
                fmt::format("the native builder reads its base from an OCI layout; image.base is "
                            "'{}'",
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
  copy_blob(from, store, b.manifest.config);
  for (auto& layer : b.manifest.layers) {
    copy_blob(from, store, layer);
    layer.media_type = oci_layer_type(layer.media_type);
  }
  if (b.config.diff_ids.size() != b.manifest.layers.size()) {
    throw Error(ErrorKind::kConfig,
                fmt::format("image.base '{}': {} layers but {} diff_ids in its config", base,
                            b.manifest.layers.size(), b.config.diff_ids.size()));
  }
  return b;
}

NativeBuildResult build_native(const manifest::Manifest& m, const NativeBuildOptions& o,
                               CommandRunner& runner, Observer& observer) {
  const stdfs::path project = o.project_dir.empty() ? stdfs::current_path() : o.project_dir;

  // 1. The build context, scanned before anything is written.
  // The same listing and secret scan as the Dockerfile path's staged context.
  const std::vector<std::string> code_paths = checked_code_files(m, project);
  observer.debug(fmt::format("build context: {} entries", code_paths.size()));

  NativeBuildResult result;
  result.store = o.store_dir.empty() ? image::project_store_path(project) : o.store_dir;
  result.tag = o.tag.empty() ? "latest" : o.tag;
  image::OciLayout store(result.store);

  // 2. Base.
  if (m.image.base.empty()) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: image.base is not set", m.where("image")),
                "the native builder needs image.base: oci:PATH[:TAG] (run `mlbox freeze` to "
                "choose a base, then copy it with skopeo)");
  }
  BaseImage base =
      import_base_image(o.base_override.empty() ? m.image.base : o.base_override, project, store);
  base.reference = m.image.base;
  image::ImageConfig config = base.config;
  std::vector<image::Descriptor> layers = base.manifest.layers;
  for (size_t i = 0; i < layers.size(); ++i) {
    result.layers.push_back({"base", layers[i], config.diff_ids[i], true, 0, 0});
  }
  config.created = image::reproducible_created_time();
  config.author.clear();

  // 3. Deps layer, cached by the lock's content and the layer settings.
  image::LayerOptions lo;
  lo.compression = o.compression;
  int64_t mtime = image::source_date_epoch();
  LayerCache cache(project / ".mlbox" / "layer-cache.json");
  std::string settings = fmt::format("{}:{}:{}:{}", image::to_string(o.compression.compression),
                                     o.compression.level, o.compression.gzip_block_size, mtime);
  std::string lock_text;
  if (fs::read_file_if_exists(project / "mlbox.lock", lock_text)) {
    freeze::Lock lock = freeze::parse_lock(lock_text, (project / "mlbox.lock").string());
    if (!lock.packages.empty()) {
      BuiltLayer deps;
      deps.role = "deps";
      std::string platform =
          lock.header.platform.empty() ? "manylinux2014_x86_64" : lock.header.platform;
      std::string python = lock.header.python.empty() ? m.python.version : lock.header.python;
      std::string deps_key =
          fmt::format("deps:{}:{}:{}:{}", oci_digest(lock_text), platform, python, settings);
      if (auto hit = cache.get(deps_key, store)) {
        deps.descriptor = hit->first;
        deps.diff_id = hit->second;
        deps.reused = true;
        observer.on_event(ProgressEvent{"deps layer", "deps layer", 0, 0, "cached"});
      } else {
        observer.info(fmt::format("installing {} locked packages for {} / Python {}",
                                  lock.packages.size(), platform, python));
        stdfs::create_directories(project / ".mlbox");
        fs::TempDir stage(project / ".mlbox", "deps-");
        install_locked_packages(project / "mlbox.lock", platform, python, stage.path() / "t", o,
                                runner);
        lo.label = "deps layer";
        image::LayerWriter writer(store, lo, &observer);
        auto r = writer.write(
            image::entries_from_directory(stage.path() / "t", "opt/mlbox/site-packages"));
        deps.descriptor = r.descriptor;
        deps.diff_id = r.diff_id;
        deps.files = r.files;
        deps.bytes_read = r.bytes_read;
        cache.put(deps_key, r.descriptor, r.diff_id);
      }
      layers.push_back(deps.descriptor);
      config.add_layer(deps.diff_id,
                       "RUN pip install --no-deps --require-hashes -r mlbox.lock # mlbox native",
                       fmt::format("{} packages", lock.packages.size()));
      result.layers.push_back(deps);
    }
  }

  // 4. Trainer layer, cached by the bundle's content and the layer settings.
  stdfs::path trainer = o.trainer_binary.empty() ? locate_trainer_binary() : o.trainer_binary;
  stdfs::path trainer_cache =
      o.trainer_cache.empty() ? fs::mlbox_home() / "cache" / "trainer" : o.trainer_cache;
  TrainerBundle bundle = ensure_trainer_bundle(trainer, trainer_cache, runner, observer);
  std::string key = fmt::format("trainer:{}:{}", bundle.binary_sha256, settings);
  BuiltLayer trainer_layer;
  trainer_layer.role = "trainer";
  if (auto hit = cache.get(key, store)) {
    trainer_layer.descriptor = hit->first;
    trainer_layer.diff_id = hit->second;
    trainer_layer.reused = true;
    observer.on_event(ProgressEvent{"trainer layer", "trainer layer", 0, 0, "cached"});
  } else {
    lo.label = "trainer layer";
    image::LayerWriter writer(store, lo, &observer);
    auto r = writer.write(image::entries_from_directory(bundle.dir, "opt/mlbox"));
    trainer_layer.descriptor = r.descriptor;
    trainer_layer.diff_id = r.diff_id;
    trainer_layer.files = r.files;
    trainer_layer.bytes_read = r.bytes_read;
    cache.put(key, r.descriptor, r.diff_id);
  }
  layers.push_back(trainer_layer.descriptor);
  config.add_layer(trainer_layer.diff_id, "COPY trainer/ /opt/mlbox/ # mlbox native",
                   "mlbox-trainer " + bundle.binary_sha256.substr(0, 12));
  result.layers.push_back(trainer_layer);

  // 5. Code layer: always re-tarred (that is what changed).
  lo.label = "code layer";
  image::LayerWriter code_writer(store, lo, &observer);
  auto code_entries = image::entries_from_paths(project, code_paths, kCodeDir);
  // Native mode: the trainer's config travels in the code layer, where CMD points.
  if (m.train.native) {
    stdfs::path native_json = project / ".mlbox" / "native.json";
    fs::write_file_atomic(native_json, m.train.native->dump(2) + "\n");
    image::LayerEntry e;
    e.path = std::string(kCodeDir) + "/" + kNativeConfigPath;
    e.source = native_json;
    code_entries.push_back(e);
    code_entries = image::normalise_entries(std::move(code_entries));
  }
  auto code = code_writer.write(code_entries);
  layers.push_back(code.descriptor);
  config.add_layer(code.diff_id, fmt::format("COPY . /{}/ # mlbox native", kCodeDir));
  result.layers.push_back(
      {"code", code.descriptor, code.diff_id, false, code.files, code.bytes_read});

  // 6. Config: what the generated Dockerfile would set.
  auto& c = config.config;
  c.set_env("PYTHONUNBUFFERED", "1");
  c.set_env("PIP_NO_CACHE_DIR", "1");
  c.set_env("PIP_DISABLE_PIP_VERSION_CHECK", "1");
  c.set_env("PYTHONPATH", "/opt/mlbox/site-packages");
  c.set_env("MLBOX_PYTHON", m.python.version);
  c.working_dir = std::string("/") + kCodeDir;
  c.entrypoint = std::vector<std::string>{"/opt/mlbox/bin/mlbox-trainer", "--"};
  c.cmd = image_command(m);
  // The same labels as the Dockerfile path, so images from either builder read alike.
  std::string lock_digest = lock_text.empty() ? std::string() : oci_digest(lock_text);
  for (auto& [k, v] : image_labels(m, lock_digest, base.reference, git_commit_of(project))) {
    if (!v.empty()) c.labels[k] = v;
  }
  c.labels[kLabelBuilder] = "native";

  result.manifest = store.write_image(config, layers);
  result.config = store.read_manifest(result.manifest).config;
  store.tag(result.tag, result.manifest);
  return result;
}

}  // namespace mlbox::build
