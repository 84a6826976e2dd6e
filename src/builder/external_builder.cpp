#include "builder/external_builder.h"

#include <cstdlib>

#include <fmt/format.h>

#include "builder/dockerfile_context.h"
#include "image/docker_archive.h"
#include "image/oci_copy.h"
#include "image/oci_layout.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace mlbox::builder {

namespace stdfs = std::filesystem;

ExternalTool parse_external_tool(std::string_view name) {
  if (name == "buildah") return ExternalTool::kBuildah;
  if (name == "podman") return ExternalTool::kPodman;
  if (name == "docker") return ExternalTool::kDocker;
  throw Error(ErrorKind::kUsage, fmt::format("unknown builder '{}'", name),
              "use native, buildah, podman or docker");
}

std::string to_string(ExternalTool tool) {
  switch (tool) {
    case ExternalTool::kBuildah:
      return "buildah";
    case ExternalTool::kPodman:
      return "podman";
    case ExternalTool::kDocker:
      return "docker";
  }
  return "?";
}

std::string debian_package(ExternalTool tool) {
  return tool == ExternalTool::kDocker ? "docker.io" : to_string(tool);
}

std::string external_image_name(const BuildPlan& plan, const std::string& tag) {
  std::string name;
  for (char c : plan.manifest.name) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
    if (ok) {
      name += l;
    } else if (!name.empty() && name.back() != '-') {
      name += '-';
    }
  }
  while (!name.empty() && name.back() == '-') name.pop_back();
  if (name.empty()) name = "project";
  return fmt::format("localhost/mlbox/{}:{}", name, tag.empty() ? "latest" : tag);
}

std::vector<std::string> external_build_command(ExternalTool tool, const stdfs::path& dockerfile,
                                                const stdfs::path& context,
                                                const std::string& image,
                                                std::optional<int64_t> timestamp,
                                                bool isolation_from_env) {
  std::vector<std::string> argv = {to_string(tool)};
  argv.push_back(tool == ExternalTool::kBuildah ? "bud" : "build");
  if (tool != ExternalTool::kDocker) {
    if (!isolation_from_env) argv.insert(argv.end(), {"--isolation", "chroot"});
    argv.push_back("--layers");
  }
  argv.insert(argv.end(), {"-f", dockerfile.string(), "-t", image});
  if (timestamp) {
    if (tool == ExternalTool::kDocker) {
      argv.insert(argv.end(), {"--build-arg", fmt::format("SOURCE_DATE_EPOCH={}", *timestamp)});
    } else {
      argv.insert(argv.end(), {"--timestamp", std::to_string(*timestamp)});
    }
  }
  argv.push_back(context.string());
  return argv;
}

std::vector<std::string> external_export_command(ExternalTool tool, const std::string& image,
                                                 const stdfs::path& destination,
                                                 const std::string& tag,
                                                 const image::CompressionOptions& compression) {
  if (tool == ExternalTool::kDocker) {
    return {"docker", "save", "-o", destination.string(), image};
  }
  std::vector<std::string> argv = {to_string(tool), "push", "--quiet"};
  if (compression.compression == image::Compression::kNone) {
    argv.push_back("--disable-compression");
  } else {
    argv.insert(argv.end(), {"--compression-format", image::to_string(compression.compression)});
    if (compression.level >= 0) {
      argv.insert(argv.end(), {"--compression-level", std::to_string(compression.level)});
    }
  }
  argv.push_back(image);
  argv.push_back(fmt::format("oci:{}:{}", destination.string(), tag));
  return argv;
}

namespace {

std::optional<int64_t> source_date_epoch_if_set() {
  const char* v = std::getenv("SOURCE_DATE_EPOCH");
  if (!v || !*v) return std::nullopt;
  char* end = nullptr;
  long long n = std::strtoll(v, &end, 10);
  if (*end != '\0' || n < 0) return std::nullopt;
  return static_cast<int64_t>(n);
}

// Runs one step of the tool, its output streamed to the observer; throws with the tail of
// the output when it fails.
void run_tool(const std::vector<std::string>& argv, const std::string& what, CommandRunner& runner,
              Observer& observer) {
  observer.debug("running " + quote_command(argv));
  ProcessOptions po;
  const std::string prefix = argv[0] + ": ";
  po.on_output_line = [&observer, &prefix](bool, std::string_view line) {
    if (!trim(line).empty()) observer.info(prefix + std::string(line));
  };
  ProcessResult r = runner.run(argv, po);
  if (!r.ok()) {
    std::string out(trim(r.out + r.err));
    if (out.size() > 3000) out = "..." + out.substr(out.size() - 3000);
    throw Error(ErrorKind::kConfig,
                fmt::format("{} failed ({} exit {}):\n{}", what, argv[0], r.exit_code, out),
                fmt::format("the command was: {}", quote_command(argv)));
  }
}

}  // namespace

BuildResult build_external(const BuildPlan& plan, const ExternalBuildOptions& o,
                           CommandRunner& runner, Observer& observer) {
  const std::string tool = to_string(o.tool);
  if (fs::which(tool).empty()) {
    throw Error(ErrorKind::kConfig,
                fmt::format("--builder {}: {} is not installed (not found on PATH)", tool, tool),
                fmt::format("install it with `apt-get install {}`, or build natively (the "
                            "default, --builder native)",
                            debian_package(o.tool)));
  }
  const stdfs::path project = plan.project_dir;
  DockerfileContextOptions dco;
  dco.wheel_dirs = o.wheel_dirs;
  dco.trainer_binary = o.trainer_binary;
  dco.trainer_cache = o.trainer_cache;
  DockerfileContext written = write_dockerfile_context(plan, dco, runner, observer);

  BuildResult result;
  result.builder = tool;
  result.store = o.store_dir.empty() ? image::project_store_path(project) : o.store_dir;
  result.tag = o.tag.empty() ? "latest" : o.tag;
  const std::string image_name = external_image_name(plan, result.tag);

  observer.info(fmt::format("building {} with {}", image_name, tool));
  run_tool(external_build_command(o.tool, written.dockerfile, written.context.dir, image_name,
                                  source_date_epoch_if_set(),
                                  std::getenv("BUILDAH_ISOLATION") != nullptr),
           fmt::format("{} build of {}", tool, written.dockerfile.string()), runner, observer);

  image::OciLayout store(result.store);
  stdfs::create_directories(project / ".mlbox");
  fs::TempDir scratch(project / ".mlbox", "export-");
  if (o.tool == ExternalTool::kDocker) {
    stdfs::path archive = scratch.path() / "image.tar";
    run_tool(external_export_command(o.tool, image_name, archive, result.tag, o.compression),
             "docker save of " + image_name, runner, observer);
    result.manifest =
        image::import_docker_archive(archive, image_name, store, o.compression, &observer).manifest;
  } else {
    stdfs::path layout = scratch.path() / "oci";
    run_tool(external_export_command(o.tool, image_name, layout, result.tag, o.compression),
             fmt::format("{} push of {} into an OCI layout", tool, image_name), runner, observer);
    image::OciLayout exported(layout, image::OciLayout::Mode::kReadOnly);
    result.manifest = image::copy_image(exported, result.tag, store);
  }
  image::ImageManifest manifest = store.read_manifest(result.manifest);
  image::ImageConfig config = store.read_config(manifest);
  result.config = manifest.config;
  for (size_t i = 0; i < manifest.layers.size(); ++i) {
    BuiltLayer l;
    l.role = "layer";
    l.descriptor = manifest.layers[i];
    l.diff_id = i < config.diff_ids.size() ? config.diff_ids[i] : std::string();
    result.layers.push_back(std::move(l));
  }
  store.tag(result.tag, result.manifest);
  return result;
}

}  // namespace mlbox::builder
