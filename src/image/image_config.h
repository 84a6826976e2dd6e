// The OCI image configuration (image-spec config.md). Fields mlbox edits are typed; every
// other field of a base image's config is kept verbatim in `extra` so that extending a base
// does not lose what its author wrote.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/descriptor.h"
#include "util/utc_time.h"

namespace mlbox::image {

struct ContainerConfig {
  std::string user;
  std::vector<std::string> env;  // "KEY=value"
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::vector<std::string> exposed_ports;  // "8080/tcp"
  std::vector<std::string> volumes;
  std::string stop_signal;
  nlohmann::json extra = nlohmann::json::object();  // other keys of "config"

  // Set (or replace) KEY in env.
  void set_env(const std::string& key, const std::string& value);
  std::optional<std::string> get_env(const std::string& key) const;
};

struct HistoryEntry {
  std::string created;  // RFC 3339
  std::string created_by;
  std::string comment;
  bool empty_layer = false;
};

struct ImageConfig {
  std::string created;  // RFC 3339; empty = omitted
  std::string author;
  Platform platform;  // architecture, os, variant, os.version, os.features
  ContainerConfig config;
  std::vector<std::string> diff_ids;  // rootfs.diff_ids, "sha256:..."
  std::vector<HistoryEntry> history;
  nlohmann::json extra = nlohmann::json::object();  // other top-level keys

  // Append a layer: its diff_id and a history line.
  void add_layer(const std::string& diff_id, const std::string& created_by,
                 const std::string& comment = {});
};

nlohmann::json to_json(const ImageConfig& config);
// `where` names the document for errors (a file path or a digest).
ImageConfig image_config_from_json(const nlohmann::json& j, std::string_view where);
ImageConfig parse_image_config(std::string_view bytes, std::string_view where);

// RFC 3339 time for image metadata: $SOURCE_DATE_EPOCH when set, else the epoch, so that
// the same inputs give the same config digest on any day.
std::string reproducible_created_time();
// The seconds value behind it (0 when SOURCE_DATE_EPOCH is unset or invalid).
int64_t source_date_epoch();
using ::mlbox::format_rfc3339;

}  // namespace mlbox::image
