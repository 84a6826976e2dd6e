#include "cloud/gcp/gcloud_config.h"

#include <filesystem>
#include <fstream>

#include "util/strings.h"

namespace mlbox::cloud::gcp {

std::optional<std::string> gcloud_config_value(const config::EnvGetter& env,
                                               const std::string& section, const std::string& key) {
  if (!env) return std::nullopt;
  std::filesystem::path dir;
  if (auto c = env("CLOUDSDK_CONFIG"); c && !c->empty()) {
    dir = *c;
  } else if (auto home = env("HOME"); home && !home->empty()) {
    dir = std::filesystem::path(*home) / ".config" / "gcloud";
  } else {
    return std::nullopt;
  }
  std::string name;
  if (auto n = env("CLOUDSDK_ACTIVE_CONFIG_NAME"); n && !n->empty()) {
    name = *n;
  } else {
    std::ifstream active(dir / "active_config");
    std::getline(active, name);
    name = std::string(trim(name));
    if (name.empty()) name = "default";
  }
  std::ifstream in(dir / "configurations" / ("config_" + name));
  std::string line, current;
  while (std::getline(in, line)) {
    std::string_view t = trim(line);
    if (t.empty() || t.front() == '#' || t.front() == ';') continue;
    if (t.front() == '[' && t.back() == ']') {
      current = std::string(trim(t.substr(1, t.size() - 2)));
      continue;
    }
    auto eq = t.find('=');
    if (current != section || eq == std::string_view::npos) continue;
    if (trim(t.substr(0, eq)) == key) {
      std::string v(trim(t.substr(eq + 1)));
      if (!v.empty()) return v;
    }
  }
  return std::nullopt;
}

}  // namespace mlbox::cloud::gcp
