// OCI content descriptors (image-spec descriptor.md), media types and platforms.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlbox::image {

namespace media_type {
inline constexpr const char* kImageManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kImageIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kImageConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* kLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr const char* kEmptyJson = "application/vnd.oci.empty.v1+json";
// Docker schema2, accepted when reading bases and used as a push fallback.
inline constexpr const char* kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
}  // namespace media_type

namespace annotation {
inline constexpr const char* kRefName = "org.opencontainers.image.ref.name";
inline constexpr const char* kCreated = "org.opencontainers.image.created";
}  // namespace annotation

bool is_manifest_media_type(std::string_view media_type);  // OCI or Docker single manifest
bool is_index_media_type(std::string_view media_type);     // OCI index or Docker list
bool is_layer_media_type(std::string_view media_type);

// "sha256:<64 lowercase hex>" (the only algorithm mlbox writes; sha512 is accepted on read).
bool is_valid_digest(std::string_view digest);
// The hex part of a digest; throws Error(kConfig) when the digest is malformed.
std::string digest_hex(std::string_view digest);

struct Platform {
  std::string architecture;  // amd64, arm64, ...
  std::string os;            // linux
  std::string os_version;
  std::vector<std::string> os_features;
  std::string variant;  // v8 for arm64
  bool operator==(const Platform&) const = default;
};

// The platform this binary runs on, as OCI names it (linux/amd64, linux/arm64/v8).
Platform host_platform();
// "linux/amd64" or "linux/arm64/v8" -> Platform; throws Error(kUsage) otherwise.
Platform parse_platform(std::string_view text);
std::string to_string(const Platform& platform);

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
  // Default initialisers keep {media_type, digest, size} aggregate initialisation
  // warning-free under -Wextra.
  std::vector<std::string> urls = {};
  std::map<std::string, std::string> annotations = {};
  std::optional<Platform> platform = {};
  std::string artifact_type = {};
  bool operator==(const Descriptor&) const = default;
};

nlohmann::json to_json(const Platform& platform);
Platform platform_from_json(const nlohmann::json& j, std::string_view where);
nlohmann::json to_json(const Descriptor& descriptor);
// `where` names the document for errors ("index.json: manifests[0]").
Descriptor descriptor_from_json(const nlohmann::json& j, std::string_view where);

// Canonical JSON bytes: keys sorted (nlohmann's object is a std::map), no whitespace.
std::string canonical_json(const nlohmann::json& j);

}  // namespace mlbox::image
