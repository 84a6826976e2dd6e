// OCI image manifest and image index (image-spec manifest.md, image-index.md), parsed from
// and serialised to canonical JSON. Docker schema2 manifests and lists parse into the same
// types (their media types are kept).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/descriptor.h"

namespace mlbox::image {

struct ImageManifest {
  int schema_version = 2;
  std::string media_type = media_type::kImageManifest;
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;
};

struct ImageIndex {
  int schema_version = 2;
  std::string media_type = media_type::kImageIndex;
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

nlohmann::json to_json(const ImageManifest& manifest);
nlohmann::json to_json(const ImageIndex& index);
ImageManifest manifest_from_json(const nlohmann::json& j, std::string_view where);
ImageIndex index_from_json(const nlohmann::json& j, std::string_view where);
// Parse bytes; errors name `where` and the byte offset of a JSON syntax error.
ImageManifest parse_manifest(std::string_view bytes, std::string_view where);
ImageIndex parse_index(std::string_view bytes, std::string_view where);
nlohmann::json parse_json_document(std::string_view bytes, std::string_view where);

// The descriptor of these exact bytes.
Descriptor describe(std::string_view media_type, std::string_view bytes);

// From an index: the manifest for `platform` (architecture, os and variant when both set).
std::optional<Descriptor> select_platform(const ImageIndex& index, const Platform& platform);

}  // namespace mlbox::image
