#include "image/oci_manifest.h"

#include <fmt/format.h>

#include "util/error.h"
#include "util/hash.h"

namespace mlbox::image {

using nlohmann::json;

namespace {

json annotations_json(const std::map<std::string, std::string>& a) {
  return json(a);
}

std::map<std::string, std::string> annotations_of(const json& j) {
  std::map<std::string, std::string> out;
  if (auto it = j.find("annotations"); it != j.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (v.is_string()) out[k] = v.get<std::string>();
    }
  }
  return out;
}

int schema_version_of(const json& j, std::string_view where) {
  auto it = j.find("schemaVersion");
  if (it == j.end() || !it->is_number_integer() || it->get<int>() != 2) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: schemaVersion must be 2", where));
  }
  return 2;
}

std::string string_field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

json to_json(const ImageManifest& m) {
  json j = {{"schemaVersion", m.schema_version}, {"config", to_json(m.config)}};
  if (!m.media_type.empty()) j["mediaType"] = m.media_type;
  if (!m.artifact_type.empty()) j["artifactType"] = m.artifact_type;
  json layers = json::array();
  for (const auto& l : m.layers) layers.push_back(to_json(l));
  j["layers"] = std::move(layers);
  if (m.subject) j["subject"] = to_json(*m.subject);
  if (!m.annotations.empty()) j["annotations"] = annotations_json(m.annotations);
  return j;
}

json to_json(const ImageIndex& index) {
  json j = {{"schemaVersion", index.schema_version}};
  if (!index.media_type.empty()) j["mediaType"] = index.media_type;
  json manifests = json::array();
  for (const auto& m : index.manifests) manifests.push_back(to_json(m));
  j["manifests"] = std::move(manifests);
  if (!index.annotations.empty()) j["annotations"] = annotations_json(index.annotations);
  return j;
}

ImageManifest manifest_from_json(const json& j, std::string_view where) {
  if (!j.is_object()) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: manifest must be a JSON object", where));
  }
  ImageManifest m;
  m.schema_version = schema_version_of(j, where);
  m.media_type = string_field(j, "mediaType");
  if (!m.media_type.empty() && !is_manifest_media_type(m.media_type)) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{}: mediaType '{}' is not an image manifest", where, m.media_type));
  }
  m.artifact_type = string_field(j, "artifactType");
  auto config = j.find("config");
  if (config == j.end()) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: manifest has no 'config'", where));
  }
  m.config = descriptor_from_json(*config, std::string(where) + ": config");
  auto layers = j.find("layers");
  if (layers == j.end() || !layers->is_array()) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: manifest 'layers' must be an array", where));
  }
  for (size_t i = 0; i < layers->size(); ++i) {
    m.layers.push_back(descriptor_from_json((*layers)[i], fmt::format("{}: layers[{}]", where, i)));
  }
  if (auto s = j.find("subject"); s != j.end()) {
    m.subject = descriptor_from_json(*s, std::string(where) + ": subject");
  }
  m.annotations = annotations_of(j);
  return m;
}

ImageIndex index_from_json(const json& j, std::string_view where) {
  if (!j.is_object()) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: index must be a JSON object", where));
  }
  ImageIndex index;
  index.schema_version = schema_version_of(j, where);
  index.media_type = string_field(j, "mediaType");
  if (!index.media_type.empty() && !is_index_media_type(index.media_type)) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{}: mediaType '{}' is not an image index", where, index.media_type));
  }
  auto manifests = j.find("manifests");
  if (manifests == j.end() || !manifests->is_array()) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: 'manifests' must be an array", where));
  }
  for (size_t i = 0; i < manifests->size(); ++i) {
    index.manifests.push_back(
        descriptor_from_json((*manifests)[i], fmt::format("{}: manifests[{}]", where, i)));
  }
  index.annotations = annotations_of(j);
  return index;
}

json parse_json_document(std::string_view bytes, std::string_view where) {
  try {
    return json::parse(bytes);
  } catch (const json::parse_error& e) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{}: not valid JSON at byte {}: {}", where, e.byte, e.what()));
  } catch (const json::out_of_range& e) {  // a number beyond double
    throw Error(ErrorKind::kConfig, fmt::format("{}: not valid JSON: {}", where, e.what()));
  }
}

ImageManifest parse_manifest(std::string_view bytes, std::string_view where) {
  return manifest_from_json(parse_json_document(bytes, where), where);
}

ImageIndex parse_index(std::string_view bytes, std::string_view where) {
  return index_from_json(parse_json_document(bytes, where), where);
}

Descriptor describe(std::string_view media_type, std::string_view bytes) {
  Descriptor d;
  d.media_type = std::string(media_type);
  d.digest = oci_digest(bytes);
  d.size = static_cast<int64_t>(bytes.size());
  return d;
}

std::optional<Descriptor> select_platform(const ImageIndex& index, const Platform& platform) {
  for (const auto& m : index.manifests) {
    if (!m.platform) continue;
    if (m.platform->os != platform.os || m.platform->architecture != platform.architecture) {
      continue;
    }
    if (!platform.variant.empty() && !m.platform->variant.empty() &&
        platform.variant != m.platform->variant) {
      continue;
    }
    return m;
  }
  return std::nullopt;
}

}  // namespace mlbox::image
