// External builders: the generated Dockerfile and the staged context (exactly what
// `mlbox dockerfile` writes) built by buildah, podman or docker, and the result exported
// into the project's OCI layout under the tag the native builder uses, so `mlbox push` and
// `mlbox run` work the same after either builder.
//   buildah  bud --isolation chroot --layers [--timestamp E]; buildah push IMAGE oci:DIR:TAG
//   podman   build --layers [--timestamp E];                 podman push IMAGE oci:DIR:TAG
//   docker   build [--build-arg SOURCE_DATE_EPOCH=E];        docker save -> docker-archive
// The storage driver and root are the tool's own (STORAGE_DRIVER, CONTAINERS_STORAGE_CONF);
// BUILDAH_ISOLATION overrides the chroot isolation. The tool's output is streamed to the
// observer line by line.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "builder/build_result.h"
#include "builder/plan.h"
#include "core/events.h"
#include "image/compressor.h"
#include "util/process.h"

namespace mlbox::builder {

enum class ExternalTool { kBuildah, kPodman, kDocker };

// "buildah" | "podman" | "docker"; throws Error(kUsage) otherwise.
ExternalTool parse_external_tool(std::string_view name);
std::string to_string(ExternalTool tool);
// The Debian package that provides the tool.
std::string debian_package(ExternalTool tool);

struct ExternalBuildOptions {
  ExternalTool tool = ExternalTool::kBuildah;
  std::filesystem::path store_dir;  // empty: <project>/.mlbox/oci
  std::string tag = "latest";
  image::CompressionOptions compression;  // of the exported layers (gzip or zstd)
  std::vector<std::filesystem::path> wheel_dirs;
  std::filesystem::path trainer_binary;  // empty: locate_trainer_binary()
  std::filesystem::path trainer_cache;   // empty: $MLBOX_HOME/cache/trainer
};

// The image's name in the tool's own storage: localhost/mlbox/<project name>:<tag>.
std::string external_image_name(const BuildPlan& plan, const std::string& tag);

// The command lines build_external runs (exposed for tests and --verbose).
std::vector<std::string> external_build_command(ExternalTool tool,
                                                const std::filesystem::path& dockerfile,
                                                const std::filesystem::path& context,
                                                const std::string& image,
                                                std::optional<int64_t> timestamp,
                                                bool isolation_from_env);
std::vector<std::string> external_export_command(ExternalTool tool, const std::string& image,
                                                 const std::filesystem::path& destination,
                                                 const std::string& tag,
                                                 const image::CompressionOptions& compression);

// Throws Error(kConfig) when the tool is not installed (naming the package), or when the
// build or the export fails (with the tail of the tool's output).
BuildResult build_external(const BuildPlan& plan, const ExternalBuildOptions& options,
                           CommandRunner& runner, Observer& observer);

}  // namespace mlbox::builder
