#include <doctest/doctest.h>

#include "builder/external_builder.h"
#include "util/error.h"

using namespace mlbox;

TEST_CASE("external builder: tools, packages and image names") {
  CHECK(builder::parse_external_tool("buildah") == builder::ExternalTool::kBuildah);
  CHECK(builder::parse_external_tool("docker") == builder::ExternalTool::kDocker);
  CHECK_THROWS_AS(builder::parse_external_tool("kaniko"), Error);
  CHECK(builder::debian_package(builder::ExternalTool::kDocker) == "docker.io");
  CHECK(builder::debian_package(builder::ExternalTool::kPodman) == "podman");
  builder::BuildPlan plan;
  plan.manifest.name = "My_Project 2";
  CHECK(builder::external_image_name(plan, "v1") == "localhost/mlbox/my-project-2:v1");
}

TEST_CASE("external builder: build and export command lines") {
  using builder::ExternalTool;
  auto bud = builder::external_build_command(ExternalTool::kBuildah, "/p/.mlbox/Dockerfile",
                                             "/p/.mlbox/context", "localhost/mlbox/x:latest",
                                             int64_t{1700000000}, false);
  CHECK(bud == std::vector<std::string>{"buildah", "bud", "--isolation", "chroot", "--layers", "-f",
                                        "/p/.mlbox/Dockerfile", "-t", "localhost/mlbox/x:latest",
                                        "--timestamp", "1700000000", "/p/.mlbox/context"});
  auto podman =
      builder::external_build_command(ExternalTool::kPodman, "D", "C", "I", std::nullopt, true);
  CHECK(podman ==
        std::vector<std::string>{"podman", "build", "--layers", "-f", "D", "-t", "I", "C"});
  auto docker =
      builder::external_build_command(ExternalTool::kDocker, "D", "C", "I", int64_t{5}, false);
  CHECK(docker == std::vector<std::string>{"docker", "build", "-f", "D", "-t", "I", "--build-arg",
                                           "SOURCE_DATE_EPOCH=5", "C"});

  image::CompressionOptions zstd;
  zstd.compression = image::Compression::kZstd;
  CHECK(builder::external_export_command(ExternalTool::kBuildah, "I", "/s/oci", "latest", zstd) ==
        std::vector<std::string>{"buildah", "push", "--quiet", "--compression-format", "zstd", "I",
                                 "oci:/s/oci:latest"});
  CHECK(builder::external_export_command(ExternalTool::kDocker, "I", "/s/i.tar", "latest", zstd) ==
        std::vector<std::string>{"docker", "save", "-o", "/s/i.tar", "I"});
}
