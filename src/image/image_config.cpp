#include "image/image_config.h"

#include <cstdlib>
#include <ctime>

#include <fmt/format.h>

#include "util/error.h"

namespace mlbox::image {

using nlohmann::json;

void ContainerConfig::set_env(const std::string& key, const std::string& value) {
  std::string prefix = key + "=";
  for (auto& e : env) {
    if (e.compare(0, prefix.size(), prefix) == 0) {
      e = prefix + value;
      return;
    }
  }
  env.push_back(prefix + value);
}

std::optional<std::string> ContainerConfig::get_env(const std::string& key) const {
  std::string prefix = key + "=";
  for (const auto& e : env) {
    if (e.compare(0, prefix.size(), prefix) == 0) return e.substr(prefix.size());
  }
  return std::nullopt;
}

void ImageConfig::add_layer(const std::string& diff_id, const std::string& created_by,
                            const std::string& comment) {
  diff_ids.push_back(diff_id);
  HistoryEntry h;
  h.created = created;
  h.created_by = created_by;
  h.comment = comment;
  history.push_back(std::move(h));
}

namespace {

json set_of(const std::vector<std::string>& keys) {
  json j = json::object();
  for (const auto& k : keys) j[k] = json::object();
  return j;
}

json to_json(const ContainerConfig& c) {
  json j = c.extra.is_object() ? c.extra : json::object();
  auto put = [&](const char* key, const std::string& v) {
    if (v.empty()) {
      j.erase(key);
    } else {
      j[key] = v;
    }
  };
  put("User", c.user);
  put("WorkingDir", c.working_dir);
  put("StopSignal", c.stop_signal);
  if (c.env.empty())
    j.erase("Env");
  else
    j["Env"] = c.env;
  if (c.entrypoint)
    j["Entrypoint"] = *c.entrypoint;
  else
    j.erase("Entrypoint");
  if (c.cmd)
    j["Cmd"] = *c.cmd;
  else
    j.erase("Cmd");
  if (c.labels.empty())
    j.erase("Labels");
  else
    j["Labels"] = c.labels;
  if (c.exposed_ports.empty())
    j.erase("ExposedPorts");
  else
    j["ExposedPorts"] = set_of(c.exposed_ports);
  if (c.volumes.empty())
    j.erase("Volumes");
  else
    j["Volumes"] = set_of(c.volumes);
  return j;
}

std::vector<std::string> strings_of(const json& j, std::string_view where) {
  std::vector<std::string> out;
  if (j.is_null()) return out;
  if (!j.is_array()) throw Error(ErrorKind::kConfig, fmt::format("{}: must be an array", where));
  for (const auto& v : j) {
    if (!v.is_string()) {
      throw Error(ErrorKind::kConfig, fmt::format("{}: must hold strings only", where));
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::string string_of(const json& j, const char* key, std::string_view where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_string()) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: '{}' must be a string", where, key));
  }
  return it->get<std::string>();
}

ContainerConfig container_config_from_json(const json& j, std::string_view where) {
  ContainerConfig c;
  if (j.is_null()) return c;
  if (!j.is_object()) throw Error(ErrorKind::kConfig, fmt::format("{}: must be an object", where));
  c.extra = j;
  std::string w(where);
  c.user = string_of(j, "User", where);
  c.working_dir = string_of(j, "WorkingDir", where);
  c.stop_signal = string_of(j, "StopSignal", where);
  if (auto it = j.find("Env"); it != j.end()) c.env = strings_of(*it, w + ".Env");
  if (auto it = j.find("Entrypoint"); it != j.end() && !it->is_null()) {
    c.entrypoint = strings_of(*it, w + ".Entrypoint");
  }
  if (auto it = j.find("Cmd"); it != j.end() && !it->is_null()) {
    c.cmd = strings_of(*it, w + ".Cmd");
  }
  if (auto it = j.find("Labels"); it != j.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (v.is_string()) c.labels[k] = v.get<std::string>();
    }
  }
  if (auto it = j.find("ExposedPorts"); it != j.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) c.exposed_ports.push_back(k);
  }
  if (auto it = j.find("Volumes"); it != j.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) c.volumes.push_back(k);
  }
  for (const char* key : {"User", "WorkingDir", "StopSignal", "Env", "Entrypoint", "Cmd", "Labels",
                          "ExposedPorts", "Volumes"}) {
    c.extra.erase(key);
  }
  return c;
}

}  // namespace

json to_json(const ImageConfig& c) {
  json j = c.extra.is_object() ? c.extra : json::object();
  if (c.created.empty())
    j.erase("created");
  else
    j["created"] = c.created;
  if (c.author.empty())
    j.erase("author");
  else
    j["author"] = c.author;
  j["architecture"] = c.platform.architecture;
  j["os"] = c.platform.os;
  if (!c.platform.variant.empty()) j["variant"] = c.platform.variant;
  if (!c.platform.os_version.empty()) j["os.version"] = c.platform.os_version;
  if (!c.platform.os_features.empty()) j["os.features"] = c.platform.os_features;
  j["config"] = to_json(c.config);
  j["rootfs"] = {{"type", "layers"}, {"diff_ids", c.diff_ids}};
  json history = json::array();
  for (const auto& h : c.history) {
    json e = json::object();
    if (!h.created.empty()) e["created"] = h.created;
    if (!h.created_by.empty()) e["created_by"] = h.created_by;
    if (!h.comment.empty()) e["comment"] = h.comment;
    if (h.empty_layer) e["empty_layer"] = true;
    history.push_back(std::move(e));
  }
  if (history.empty())
    j.erase("history");
  else
    j["history"] = std::move(history);
  return j;
}

ImageConfig image_config_from_json(const json& j, std::string_view where) {
  if (!j.is_object()) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: image config must be a JSON object", where));
  }
  std::string w(where);
  ImageConfig c;
  c.extra = j;
  c.created = string_of(j, "created", where);
  c.author = string_of(j, "author", where);
  c.platform.architecture = string_of(j, "architecture", where);
  c.platform.os = string_of(j, "os", where);
  c.platform.variant = string_of(j, "variant", where);
  c.platform.os_version = string_of(j, "os.version", where);
  if (auto it = j.find("os.features"); it != j.end()) {
    c.platform.os_features = strings_of(*it, w + ": os.features");
  }
  if (auto it = j.find("config"); it != j.end()) {
    c.config = container_config_from_json(*it, w + ": config");
  }
  if (auto it = j.find("rootfs"); it != j.end()) {
    if (!it->is_object()) throw Error(ErrorKind::kConfig, w + ": rootfs must be an object");
    if (auto d = it->find("diff_ids"); d != it->end()) {
      c.diff_ids = strings_of(*d, w + ": rootfs.diff_ids");
    }
    for (size_t i = 0; i < c.diff_ids.size(); ++i) {
      if (!is_valid_digest(c.diff_ids[i])) {
        throw Error(ErrorKind::kConfig, fmt::format("{}: rootfs.diff_ids[{}] is not a digest: '{}'",
                                                    where, i, c.diff_ids[i]));
      }
    }
  }
  if (auto it = j.find("history"); it != j.end() && it->is_array()) {
    for (const auto& e : *it) {
      if (!e.is_object()) continue;
      HistoryEntry h;
      h.created = string_of(e, "created", where);
      h.created_by = string_of(e, "created_by", where);
      h.comment = string_of(e, "comment", where);
      if (auto el = e.find("empty_layer"); el != e.end() && el->is_boolean()) {
        h.empty_layer = el->get<bool>();
      }
      c.history.push_back(std::move(h));
    }
  }
  for (const char* key : {"created", "author", "architecture", "os", "variant", "os.version",
                          "os.features", "config", "rootfs", "history"}) {
    c.extra.erase(key);
  }
  return c;
}

ImageConfig parse_image_config(std::string_view bytes, std::string_view where) {
  json j;
  try {
    j = json::parse(bytes);
  } catch (const json::parse_error& e) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: image config is not valid JSON (byte {}): {}",
                                                where, e.byte, e.what()));
  } catch (const json::out_of_range& e) {  // a number beyond double
    throw Error(ErrorKind::kConfig,
                fmt::format("{}: image config is not valid JSON: {}", where, e.what()));
  }
  return image_config_from_json(j, where);
}

int64_t source_date_epoch() {
  const char* s = std::getenv("SOURCE_DATE_EPOCH");
  if (!s || !*s) return 0;
  char* end = nullptr;
  long long v = std::strtoll(s, &end, 10);
  if (*end != '\0' || v < 0) return 0;
  return static_cast<int64_t>(v);
}

std::string reproducible_created_time() {
  return format_rfc3339(source_date_epoch());
}

}  // namespace mlbox::image
