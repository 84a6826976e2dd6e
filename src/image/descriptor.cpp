#include "image/descriptor.h"

#include <fmt/format.h>

#include "util/error.h"
#include "util/strings.h"

namespace mlbox::image {

using nlohmann::json;

bool is_manifest_media_type(std::string_view media_type) {
  return media_type == media_type::kImageManifest || media_type == media_type::kDockerManifest;
}

bool is_index_media_type(std::string_view media_type) {
  return media_type == media_type::kImageIndex || media_type == media_type::kDockerManifestList;
}

bool is_layer_media_type(std::string_view media_type) {
  return starts_with(media_type, "application/vnd.oci.image.layer.") ||
         starts_with(media_type, "application/vnd.docker.image.rootfs.");
}

namespace {
bool all_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}
}  // namespace

bool is_valid_digest(std::string_view digest) {
  if (starts_with(digest, "sha256:")) {
    auto hex = digest.substr(7);
    return hex.size() == 64 && all_lower_hex(hex);
  }
  if (starts_with(digest, "sha512:")) {
    auto hex = digest.substr(7);
    return hex.size() == 128 && all_lower_hex(hex);
  }
  return false;
}

std::string digest_hex(std::string_view digest) {
  if (!is_valid_digest(digest)) {
    throw Error(ErrorKind::kConfig, fmt::format("malformed digest '{}'", digest),
                "a digest is 'sha256:' followed by 64 lowercase hex digits");
  }
  return std::string(digest.substr(digest.find(':') + 1));
}

Platform host_platform() {
  Platform p;
  p.os = "linux";
#if defined(__x86_64__)
  p.architecture = "amd64";
#elif defined(__aarch64__)
  p.architecture = "arm64";
  p.variant = "v8";
#elif defined(__powerpc64__)
  p.architecture = "ppc64le";
#elif defined(__s390x__)
  p.architecture = "s390x";
#else
  p.architecture = "unknown";
#endif
  return p;
}

Platform parse_platform(std::string_view text) {
  auto parts = split(text, '/');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    throw Error(ErrorKind::kUsage, fmt::format("invalid platform '{}'", text),
                "write OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm64/v8");
  }
  Platform p;
  p.os = parts[0];
  p.architecture = parts[1];
  if (parts.size() == 3) p.variant = parts[2];
  return p;
}

std::string to_string(const Platform& p) {
  std::string s = p.os + "/" + p.architecture;
  if (!p.variant.empty()) s += "/" + p.variant;
  return s;
}

json to_json(const Platform& p) {
  json j = {{"architecture", p.architecture}, {"os", p.os}};
  if (!p.os_version.empty()) j["os.version"] = p.os_version;
  if (!p.os_features.empty()) j["os.features"] = p.os_features;
  if (!p.variant.empty()) j["variant"] = p.variant;
  return j;
}

namespace {
std::string get_string(const json& j, const char* key, std::string_view where, bool required) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) {
      throw Error(ErrorKind::kConfig, fmt::format("{}: missing required field '{}'", where, key));
    }
    return {};
  }
  if (!it->is_string()) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: field '{}' must be a string", where, key));
  }
  return it->get<std::string>();
}
}  // namespace

Platform platform_from_json(const json& j, std::string_view where) {
  if (!j.is_object()) throw Error(ErrorKind::kConfig, fmt::format("{}: must be an object", where));
  Platform p;
  p.architecture = get_string(j, "architecture", where, true);
  p.os = get_string(j, "os", where, true);
  p.os_version = get_string(j, "os.version", where, false);
  p.variant = get_string(j, "variant", where, false);
  if (auto it = j.find("os.features"); it != j.end() && it->is_array()) {
    for (const auto& f : *it) {
      if (f.is_string()) p.os_features.push_back(f.get<std::string>());
    }
  }
  return p;
}

json to_json(const Descriptor& d) {
  json j = {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  if (!d.urls.empty()) j["urls"] = d.urls;
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  if (d.platform) j["platform"] = to_json(*d.platform);
  if (!d.artifact_type.empty()) j["artifactType"] = d.artifact_type;
  return j;
}

Descriptor descriptor_from_json(const json& j, std::string_view where) {
  if (!j.is_object()) throw Error(ErrorKind::kConfig, fmt::format("{}: must be an object", where));
  Descriptor d;
  d.media_type = get_string(j, "mediaType", where, true);
  d.digest = get_string(j, "digest", where, true);
  if (!is_valid_digest(d.digest)) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: malformed digest '{}'", where, d.digest));
  }
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer() || size->get<int64_t>() < 0) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{}: 'size' must be a non-negative integer", where));
  }
  d.size = size->get<int64_t>();
  if (auto it = j.find("urls"); it != j.end() && it->is_array()) {
    for (const auto& u : *it) {
      if (u.is_string()) d.urls.push_back(u.get<std::string>());
    }
  }
  if (auto it = j.find("annotations"); it != j.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (v.is_string()) d.annotations[k] = v.get<std::string>();
    }
  }
  if (auto it = j.find("platform"); it != j.end()) {
    d.platform = platform_from_json(*it, std::string(where) + ".platform");
  }
  d.artifact_type = get_string(j, "artifactType", where, false);
  return d;
}

std::string canonical_json(const json& j) {
  return j.dump();
}

}  // namespace mlbox::image
