// The effective configuration: every setting resolved in one place with the precedence
// flag > env MLBOX_* > mlbox.yaml > user config (~/.config/mlbox/config.yaml) > default,
// each value remembering where it came from (for `mlbox config --explain`).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifest/manifest.h"

namespace mlbox::config {

// In precedence order: a lower enumerator wins.
enum class Source { kFlag, kEnv, kManifest, kUserConfig, kDefault };
// "flag", "env", "mlbox.yaml", "user config", "default"
const char* source_name(Source source);

enum class ValueKind { kString, kBool, kInt };

struct Value {
  std::string key;
  std::string value;  // normalised text: "true"/"false", decimal integers, "T4:1"
  ValueKind kind = ValueKind::kString;
  Source source = Source::kDefault;
  // "--region", "env MLBOX_REGION", "mlbox.yaml:12:5", "~/.config/mlbox/config.yaml:3:1",
  // "default", "default (env AWS_REGION)"
  std::string origin;
};

// What a setting is; the table every layer is read through.
struct KeyInfo {
  std::string key;               // "region", "python.version"
  std::string flag;              // "--region"
  std::vector<std::string> env;  // "MLBOX_REGION" first; aliases after
  std::string description;
  ValueKind kind = ValueKind::kString;
};
const std::vector<KeyInfo>& known_keys();

class Settings {
 public:
  // Throws Error(kUsage) for an unknown key, with a did-you-mean.
  const Value& at(std::string_view key) const;
  const std::string& get(std::string_view key) const { return at(key).value; }
  bool get_bool(std::string_view key) const { return at(key).value == "true"; }
  int get_int(std::string_view key) const;
  const std::vector<Value>& values() const { return values_; }
  // {key: {"value": typed value, "source": "...", "origin": "..."}}
  nlohmann::json to_json() const;
  nlohmann::json to_json(const Value& v) const;

  void set(Value v);  // replaces a value with the same key

 private:
  std::vector<Value> values_;
};

// ~/.config/mlbox/config.yaml: a YAML map of setting keys (nested maps are flattened, so
// "python: {version: 3.11}" and "python.version: 3.11" mean the same). "registry" is read
// as image.repository.
struct UserConfig {
  std::filesystem::path path;
  std::string display;  // how origins name the file, "~/.config/mlbox/config.yaml"
  struct Entry {
    std::string value;
    manifest::Mark mark;
  };
  std::map<std::string, Entry> values;
};
// Throws Error(kConfig) naming display:LINE:COL for bad YAML, unknown keys, non-scalars.
UserConfig parse_user_config(std::string_view text, const std::filesystem::path& path,
                             const std::string& display);
// A missing file gives an empty config.
UserConfig load_user_config(const std::filesystem::path& path);
// $XDG_CONFIG_HOME/mlbox/config.yaml or ~/.config/mlbox/config.yaml.
std::filesystem::path user_config_path();

// Environment lookups go through this so tests need not touch the process environment.
using EnvGetter = std::function<std::optional<std::string>(const std::string& name)>;
EnvGetter process_env();
EnvGetter env_from_map(std::map<std::string, std::string> env);

// Resolves every key in known_keys(). `flags` maps setting keys ("region") to what the
// command line gave. `m` and `user` may be null. Values from flags (Error kUsage), the
// environment and the user config (Error kConfig) are validated, naming their origin.
Settings resolve(const manifest::Manifest* m, const std::map<std::string, std::string>& flags,
                 const EnvGetter& env, const UserConfig* user = nullptr);

// resolve() with the process environment and the user's real config file.
Settings resolve_for_process(const manifest::Manifest* m,
                             const std::map<std::string, std::string>& flags);

}  // namespace mlbox::config
