#include "config/settings.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <regex>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "manifest/image_ref.h"
#include "manifest/load.h"
#include "manifest/yaml_limits.h"
#include "util/bounded_regex.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace mlbox::config {

namespace {

// A manifest value and its origin ("mlbox.yaml:12:5").
using Found = std::optional<std::pair<std::string, std::string>>;
// Checks a trimmed raw value and returns its normalised text; nullopt with `expected` set
// when it is not acceptable.
using Check =
    std::function<std::optional<std::string>(const std::string& v, std::string& expected)>;
// The value mlbox.yaml wrote for the setting, given the resolved target.
using ManifestRead = std::function<Found(const manifest::Manifest& m, const std::string& target)>;
// The default, with the ambient cloud variables (AWS_REGION, gcloud's) that sit below
// everything mlbox-specific: {value, origin}.
using Fallback =
    std::function<std::pair<std::string, std::string>(const std::string& target, const EnvGetter&)>;

// One row per setting: what it is, how a value is checked, where mlbox.yaml holds it, and
// its default. Adding a setting adds a row here and nothing else.
struct Setting {
  KeyInfo info;
  Check check;                 // null: any string
  ManifestRead from_manifest;  // null: not in mlbox.yaml
  Fallback fallback;           // null: empty
};

bool matches(const std::string& s, const char* pattern) {
  return regex_match_bounded(s, pattern);
}

Check one_of(std::vector<std::string> allowed) {
  return [allowed](const std::string& raw, std::string& expected) -> std::optional<std::string> {
    std::string v = to_lower(raw);
    expected = "one of: " + join(allowed, ", ");
    if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) return v;
    if (auto near = did_you_mean(v, allowed)) expected += " (did you mean '" + *near + "'?)";
    return std::nullopt;
  };
}

// Empty, or a match of `pattern`.
Check pattern(const char* regex, std::string what) {
  return [regex, what](const std::string& v, std::string& expected) -> std::optional<std::string> {
    expected = what;
    if (v.empty() || matches(v, regex)) return v;
    return std::nullopt;
  };
}

Check positive_int() {
  return [](const std::string& v, std::string& expected) -> std::optional<std::string> {
    expected = "an integer >= 1";
    if (!matches(v, "[0-9]{1,6}")) return std::nullopt;
    int n = std::stoi(v);
    if (n < 1) return std::nullopt;
    return std::to_string(n);
  };
}

// The manifest field at `dotted` when mlbox.yaml wrote it.
ManifestRead field(std::string dotted, std::function<std::string(const manifest::Manifest&)> get) {
  return [dotted, get](const manifest::Manifest& m, const std::string&) -> Found {
    if (!m.marks.count(dotted)) return std::nullopt;
    return std::make_pair(get(m), m.where(dotted));
  };
}

Fallback fixed(std::string value) {
  return [value](const std::string&, const EnvGetter&) {
    return std::make_pair(value, std::string("default"));
  };
}

// The first of `names` set in the environment, as a default.
Found ambient(const EnvGetter& env, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    auto v = env(name);
    if (v && !v->empty()) return std::make_pair(*v, std::string("default (env ") + name + ")");
  }
  return std::nullopt;
}

// gcloud's active configuration ($CLOUDSDK_CONFIG or ~/.config/gcloud, active_config,
// configurations/config_<name>, an INI file): the value of `section`/`name`, if set.
std::optional<std::string> gcloud_property(const EnvGetter& env, const std::string& section,
                                           const std::string& name) {
  std::filesystem::path dir;
  if (auto c = env("CLOUDSDK_CONFIG"); c && !c->empty()) {
    dir = *c;
  } else if (auto h = env("HOME"); h && !h->empty()) {
    dir = std::filesystem::path(*h) / ".config" / "gcloud";
  } else {
    return std::nullopt;
  }
  std::string active = "default";
  if (auto a = env("CLOUDSDK_ACTIVE_CONFIG_NAME"); a && !a->empty()) {
    active = *a;
  } else if (std::string text; fs::read_file_if_exists(dir / "active_config", text)) {
    if (auto t = trim(text); !t.empty()) active = std::string(t);
  }
  std::string ini;
  if (!fs::read_file_if_exists(dir / "configurations" / ("config_" + active), ini)) {
    return std::nullopt;
  }
  std::string current;
  for (const auto& raw : split(ini, '\n')) {
    std::string line(trim(raw));
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      current = line.substr(1, line.size() - 2);
      continue;
    }
    auto eq = line.find('=');
    if (current == section && eq != std::string::npos &&
        std::string(trim(line.substr(0, eq))) == name) {
      std::string v(trim(line.substr(eq + 1)));
      if (!v.empty()) return v;
    }
  }
  return std::nullopt;
}

// The cloud target mlbox.yaml configures; the first written when it has both.
Found manifest_target(const manifest::Manifest& m, const std::string&) {
  auto written = [&](const std::string& dotted) { return m.marks.count(dotted) > 0; };
  std::vector<std::pair<int, std::string>> clouds;
  if (m.targets.vertex && written("targets.vertex"))
    clouds.emplace_back(m.marks.at("targets.vertex").line, "vertex");
  if (m.targets.batch && written("targets.batch"))
    clouds.emplace_back(m.marks.at("targets.batch").line, "batch");
  std::sort(clouds.begin(), clouds.end());
  std::string chosen = clouds.empty() ? std::string() : clouds.front().second;
  if (chosen.empty() && m.targets.local && written("targets.local")) chosen = "local";
  if (chosen.empty()) return std::nullopt;
  return std::make_pair(chosen, m.where("targets." + chosen));
}

// targets.<target>.region / .output, for the resolved target.
ManifestRead per_target(const std::string& key) {
  return [key](const manifest::Manifest& m, const std::string& target) -> Found {
    std::string dotted = "targets." + target + "." + key;
    if (!m.marks.count(dotted)) return std::nullopt;
    auto found = [&](const std::string& v) { return Found(std::make_pair(v, m.where(dotted))); };
    if (target == "vertex" && m.targets.vertex)
      return found(key == "region" ? m.targets.vertex->region : m.targets.vertex->output);
    if (target == "batch" && m.targets.batch)
      return found(key == "region" ? m.targets.batch->region : m.targets.batch->output);
    if (target == "local" && m.targets.local && key == "output")
      return found(m.targets.local->output);
    return std::nullopt;
  };
}

// targets.<target>.machine (pinned for that target), else resources.machine.
Found manifest_machine(const manifest::Manifest& m, const std::string& target) {
  std::string dotted = "targets." + target + ".machine";
  if (m.marks.count(dotted)) {
    if (target == "vertex" && m.targets.vertex)
      return std::make_pair(m.targets.vertex->machine, m.where(dotted));
    if (target == "batch" && m.targets.batch)
      return std::make_pair(m.targets.batch->machine, m.where(dotted));
  }
  if (!m.marks.count("resources.machine")) return std::nullopt;
  return std::make_pair(m.resources.machine, m.where("resources.machine"));
}

std::optional<std::string> check_memory(const std::string& v, std::string& expected) {
  expected = "a size like 16GB, 64GiB or 512MB";
  if (v.empty()) return v;
  auto gib = manifest::parse_memory_gib(v);
  if (!gib) return std::nullopt;
  return fmt::format("{}", *gib);
}

std::pair<std::string, std::string> default_region(const std::string& target,
                                                   const EnvGetter& env) {
  if (target == "batch") {
    if (auto a = ambient(env, {"AWS_REGION", "AWS_DEFAULT_REGION"})) return *a;
    return {"us-east-1", "default"};
  }
  if (target == "vertex") {
    if (auto a = ambient(env, {"CLOUDSDK_AI_REGION", "CLOUDSDK_COMPUTE_REGION"})) return *a;
    for (const char* section : {"ai", "compute"}) {
      if (auto v = gcloud_property(env, section, "region")) {
        return {*v, std::string("default (gcloud config ") + section + "/region)"};
      }
    }
    return {"us-central1", "default"};
  }
  return {"", "default"};
}

std::pair<std::string, std::string> default_project(const std::string&, const EnvGetter& env) {
  if (auto a = ambient(env, {"CLOUDSDK_CORE_PROJECT", "GOOGLE_CLOUD_PROJECT"})) return *a;
  if (auto v = gcloud_property(env, "core", "project")) {
    return {*v, "default (gcloud config core/project)"};
  }
  return {"", "default"};
}

std::pair<std::string, std::string> default_mlbox_home(const std::string&, const EnvGetter& env) {
  if (auto x = env("XDG_DATA_HOME"); x && !x->empty())
    return {(std::filesystem::path(*x) / "mlbox").string(), "default"};
  std::filesystem::path home;
  if (auto h = env("HOME"); h && !h->empty())
    home = *h;
  else
    home = fs::home_dir();
  return {(home / ".local" / "share" / "mlbox").string(), "default"};
}

std::optional<std::string> check_target(const std::string& v, std::string& expected) {
  std::string t = to_lower(v);
  if (t == "ai-platform" || t == "aiplatform" || t == "vertex-ai" || t == "gcp") t = "vertex";
  if (t == "aws-batch" || t == "aws") t = "batch";
  return one_of({"local", "vertex", "batch"})(t, expected);
}

std::optional<std::string> check_gpu(const std::string& v, std::string& expected) {
  expected = "TYPE:COUNT like T4:1, or none";
  if (v.empty() || to_lower(v) == "none") return std::string();
  auto g = manifest::parse_gpu_request(v);
  if (!g) return std::nullopt;
  return manifest::format_gpu_request(*g);
}

std::optional<std::string> check_bool(const std::string& v, std::string& expected) {
  expected = "true or false";
  std::string b = to_lower(v);
  if (b == "true" || b == "yes" || b == "on" || b == "1") return std::string("true");
  if (b == "false" || b == "no" || b == "off" || b == "0") return std::string("false");
  return std::nullopt;
}

std::optional<std::string> check_duration(const std::string& v, std::string& expected) {
  expected = "a duration like 2h, 90m, 45s or seconds (0 = none)";
  if (v == "0" || to_lower(v) == "none") return std::string("0");
  auto secs = manifest::parse_duration_seconds(v);
  if (!secs) return std::nullopt;
  return std::to_string(*secs);
}

std::optional<std::string> check_repository(const std::string& v, std::string& expected) {
  std::string why;
  expected = "[host[:port]/]path without a tag";
  if (v.empty() || manifest::valid_repository(v, &why)) return v;
  expected += " (" + why + ")";
  return std::nullopt;
}

std::optional<std::string> check_image_source(const std::string& v, std::string& expected) {
  std::string why;
  expected = "a registry reference, oci:PATH[:TAG] or docker-archive:PATH";
  if (v.empty() || manifest::parse_image_source(v, &why)) return v;
  expected += " (" + why + ")";
  return std::nullopt;
}

using manifest::Manifest;
using VK = ValueKind;

const std::vector<Setting>& settings_table() {
  static const std::vector<Setting> table = {
      {{"target",
        "--target",
        {"MLBOX_TARGET"},
        "where jobs run: local, vertex, batch",
        VK::kString},
       check_target,
       manifest_target,
       fixed("local")},
      {{"region", "--region", {"MLBOX_REGION"}, "cloud region of the target", VK::kString},
       pattern("[a-z]{2,}(-[a-z0-9]+)+", "a region like us-central1 or us-east-1"),
       per_target("region"),
       default_region},
      {{"project", "--project", {"MLBOX_PROJECT"}, "Google Cloud project (vertex)", VK::kString},
       nullptr,
       field("targets.vertex.project",
             [](const Manifest& m) { return m.targets.vertex ? m.targets.vertex->project : ""; }),
       default_project},
      {{"service_account",
        "--service-account",
        {"MLBOX_SERVICE_ACCOUNT"},
        "service account the Vertex job runs as",
        VK::kString},
       nullptr,
       field("targets.vertex.service_account",
             [](const Manifest& m) {
               return m.targets.vertex ? m.targets.vertex->service_account : "";
             }),
       nullptr},
      {{"job_queue", "--job-queue", {"MLBOX_JOB_QUEUE"}, "AWS Batch job queue", VK::kString},
       nullptr,
       field("targets.batch.job_queue",
             [](const Manifest& m) { return m.targets.batch ? m.targets.batch->job_queue : ""; }),
       nullptr},
      {{"job_role_arn",
        "--job-role-arn",
        {"MLBOX_JOB_ROLE_ARN"},
        "IAM role of the Batch job",
        VK::kString},
       pattern("arn:aws[a-z-]*:iam::[0-9]{12}:role/.+",
               "an IAM role ARN like arn:aws:iam::123456789012:role/NAME"),
       field(
           "targets.batch.job_role_arn",
           [](const Manifest& m) { return m.targets.batch ? m.targets.batch->job_role_arn : ""; }),
       nullptr},
      {{"output", "--output", {"MLBOX_OUTPUT"}, "where checkpoints and artifacts go", VK::kString},
       nullptr,
       per_target("output"),
       [](const std::string& target, const EnvGetter&) {
         return std::make_pair(std::string(target == "local" ? ".mlbox/output" : ""),
                               std::string("default"));
       }},
      {{"image.repository",
        "--repository",
        {"MLBOX_IMAGE_REPOSITORY", "MLBOX_REGISTRY"},
        "registry repository images are pushed to",
        VK::kString},
       check_repository,
       field("image.repository", [](const Manifest& m) { return m.image.repository; }),
       nullptr},
      {{"image.base",
        "--base",
        {"MLBOX_IMAGE_BASE"},
        "base image (empty = from the CUDA matrix)",
        VK::kString},
       check_image_source,
       field("image.base", [](const Manifest& m) { return m.image.base; }),
       nullptr},
      {{"machine", "--machine", {"MLBOX_MACHINE"}, "machine type", VK::kString},
       nullptr,
       manifest_machine,
       nullptr},
      {{"cpus", "--cpus", {"MLBOX_CPUS"}, "at least this many vCPUs (machine choice)", VK::kInt},
       [](const std::string& v, std::string& expected) -> std::optional<std::string> {
         if (v.empty()) return v;
         return positive_int()(v, expected);
       },
       field("resources.cpus", [](const Manifest& m) { return std::to_string(m.resources.cpus); }),
       nullptr},
      {{"memory",
        "--memory",
        {"MLBOX_MEMORY"},
        "at least this much memory in GiB (machine choice)",
        VK::kString},
       check_memory,
       field("resources.memory",
             [](const Manifest& m) { return fmt::format("{}", m.resources.memory_gib); }),
       nullptr},
      {{"gpu", "--gpu", {"MLBOX_GPU"}, "GPU request TYPE:COUNT", VK::kString},
       check_gpu,
       field("resources.gpu",
             [](const Manifest& m) { return manifest::format_gpu_request(m.resources.gpu); }),
       nullptr},
      {{"spot", "--spot", {"MLBOX_SPOT"}, "use spot / preemptible capacity", VK::kBool},
       check_bool,
       field("resources.spot",
             [](const Manifest& m) { return std::string(m.resources.spot ? "true" : "false"); }),
       fixed("false")},
      {{"nodes", "--nodes", {"MLBOX_NODES"}, "number of machines", VK::kInt},
       positive_int(),
       field("resources.nodes",
             [](const Manifest& m) { return std::to_string(m.resources.nodes); }),
       fixed("1")},
      {{"max_runtime",
        "--max-runtime",
        {"MLBOX_MAX_RUNTIME"},
        "job time limit in seconds (0 = none)",
        VK::kInt},
       check_duration,
       field("resources.max_runtime",
             [](const Manifest& m) { return std::to_string(m.resources.max_runtime_seconds); }),
       fixed("0")},
      {{"python.version",
        "--python-version",
        {"MLBOX_PYTHON_VERSION"},
        "Python in the image",
        VK::kString},
       [](const std::string& v, std::string& expected) -> std::optional<std::string> {
         expected = "a Python version like 3.11";
         if (matches(v, "3\\.[0-9]{1,2}")) return v;
         return std::nullopt;
       },
       field("python.version", [](const Manifest& m) { return m.python.version; }),
       fixed(manifest::PythonSpec{}.version)},
      {{"framework",
        "--framework",
        {"MLBOX_FRAMEWORK"},
        "pytorch, tensorflow or none",
        VK::kString},
       one_of({"pytorch", "tensorflow", "none"}),
       field("framework.name", [](const Manifest& m) { return m.framework.name; }),
       fixed("none")},
      {{"framework.version",
        "--framework-version",
        {"MLBOX_FRAMEWORK_VERSION"},
        "framework version (empty = newest in the matrix)",
        VK::kString},
       pattern("[0-9]+(\\.[0-9]+){0,2}", "a version like 2.3.1"),
       field("framework.version", [](const Manifest& m) { return m.framework.version; }),
       nullptr},
      {{"cuda",
        "--cuda",
        {"MLBOX_CUDA"},
        "CUDA version (empty = chosen from the matrix)",
        VK::kString},
       pattern("[0-9]{1,2}\\.[0-9]{1,2}(\\.[0-9]+)?", "a CUDA version like 12.1"),
       field("cuda", [](const Manifest& m) { return m.cuda; }),
       nullptr},
      {{"compression",
        "--compression",
        {"MLBOX_COMPRESSION"},
        "layer compression: gzip, zstd, none",
        VK::kString},
       one_of({"gzip", "zstd", "none"}),
       nullptr,
       fixed("gzip")},
      {{"builder",
        "--builder",
        {"MLBOX_BUILDER"},
        "image builder: native, docker, buildah, podman, kaniko",
        VK::kString},
       one_of({"native", "docker", "buildah", "podman", "kaniko"}),
       nullptr,
       fixed("native")},
      {{"jobs", "--jobs", {"MLBOX_JOBS"}, "parallel uploads and compressions", VK::kInt},
       positive_int(),
       nullptr,
       fixed("4")},
      {{"mlbox_home", "--mlbox-home", {"MLBOX_HOME"}, "mlbox's cache and job history", VK::kString},
       nullptr,
       nullptr,
       default_mlbox_home},
  };
  return table;
}

const std::vector<KeyInfo> kKeys = [] {
  std::vector<KeyInfo> out;
  for (const auto& s : settings_table()) out.push_back(s.info);
  return out;
}();

const Setting& setting_of(const std::string& key) {
  for (const auto& s : settings_table())
    if (s.info.key == key) return s;
  throw Error(ErrorKind::kInternal, "no setting '" + key + "'");
}

std::vector<std::string> key_names() {
  std::vector<std::string> out;
  for (const auto& k : kKeys) out.push_back(k.key);
  return out;
}

const KeyInfo* find_key(std::string_view key) {
  for (const auto& k : kKeys)
    if (k.key == key) return &k;
  return nullptr;
}

std::optional<std::string> normalize(const std::string& key, const std::string& raw,
                                     std::string& expected) {
  std::string v(trim(raw));
  const Setting& s = setting_of(key);
  if (s.check) return s.check(v, expected);
  expected = "a string";
  return v;
}

Found from_manifest(const manifest::Manifest& m, const std::string& key,
                    const std::string& target) {
  const Setting& s = setting_of(key);
  return s.from_manifest ? s.from_manifest(m, target) : std::nullopt;
}

std::pair<std::string, std::string> default_for(const std::string& key, const std::string& target,
                                                const EnvGetter& env) {
  const Setting& s = setting_of(key);
  return s.fallback ? s.fallback(target, env)
                    : std::make_pair(std::string(), std::string("default"));
}

[[noreturn]] void invalid(ErrorKind kind, const std::string& origin, const std::string& key,
                          const std::string& value, const std::string& expected) {
  std::string hint = kind == ErrorKind::kUsage
                         ? "fix the flag's value"
                         : "fix or unset it; 'mlbox config --explain' shows every value's origin";
  throw Error(kind,
              fmt::format("{}: '{}' is not a valid {}, expected {}", origin, value, key, expected),
              hint);
}

std::string tilde_path(const std::filesystem::path& p) {
  std::string s = p.string();
  std::string home = fs::home_dir().string();
  if (!home.empty() && home != "/" && s.starts_with(home + "/")) return "~" + s.substr(home.size());
  return s;
}

void flatten(const YAML::Node& node, const std::string& prefix, UserConfig& out,
             const std::string& display) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    YAML::Node k = it->first;
    YAML::Node v = it->second;
    manifest::Mark mark{k.Mark().line + 1, k.Mark().column + 1};
    std::string where = fmt::format("{}:{}:{}", display, mark.line, mark.col);
    std::string key = prefix.empty() ? k.Scalar() : prefix + "." + k.Scalar();
    if (key == "registry") key = "image.repository";
    if (v.IsMap()) {
      bool is_prefix = std::any_of(kKeys.begin(), kKeys.end(),
                                   [&](const KeyInfo& i) { return i.key.starts_with(key + "."); });
      if (is_prefix) {
        flatten(v, key, out, display);
        continue;
      }
    }
    if (!find_key(key)) {
      std::string expected = "one of: " + join(key_names(), ", ");
      auto near = did_you_mean(key, key_names());
      if (near) expected += " (did you mean '" + *near + "'?)";
      throw Error(ErrorKind::kConfig,
                  fmt::format("{}: unknown setting '{}', expected {}", where, key, expected),
                  near ? "rename it to '" + *near + "'" : "remove it from " + display);
    }
    if (!v.IsScalar() && !v.IsNull()) {
      throw Error(ErrorKind::kConfig,
                  fmt::format("{}: {} is a {}, expected a single value", where, key,
                              v.IsMap() ? "map" : "list"),
                  "");
    }
    out.values[key] = {v.IsNull() ? std::string() : v.Scalar(), mark};
  }
}

}  // namespace

const char* source_name(Source source) {
  switch (source) {
    case Source::kFlag:
      return "flag";
    case Source::kEnv:
      return "env";
    case Source::kManifest:
      return "mlbox.yaml";
    case Source::kUserConfig:
      return "user config";
    case Source::kDefault:
      return "default";
  }
  return "default";
}

const std::vector<KeyInfo>& known_keys() {
  return kKeys;
}

const Value& Settings::at(std::string_view key) const {
  for (const auto& v : values_)
    if (v.key == key) return v;
  auto near = did_you_mean(key, key_names());
  throw Error(
      ErrorKind::kUsage,
      fmt::format("unknown setting '{}', expected one of: {}{}", key, join(key_names(), ", "),
                  near ? " (did you mean '" + *near + "'?)" : std::string()),
      "run 'mlbox config' to list every setting");
}

int Settings::get_int(std::string_view key) const {
  const std::string& v = at(key).value;
  return v.empty() ? 0 : std::stoi(v);
}

void Settings::set(Value v) {
  for (auto& existing : values_) {
    if (existing.key == v.key) {
      existing = std::move(v);
      return;
    }
  }
  values_.push_back(std::move(v));
}

nlohmann::json Settings::to_json(const Value& v) const {
  nlohmann::json value;
  if (v.kind == ValueKind::kBool)
    value = v.value == "true";
  else if (v.kind == ValueKind::kInt && !v.value.empty())
    value = std::stoll(v.value);
  else
    value = v.value;
  return {{"value", value}, {"source", source_name(v.source)}, {"origin", v.origin}};
}

nlohmann::json Settings::to_json() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& v : values_) out[v.key] = to_json(v);
  return out;
}

UserConfig parse_user_config(std::string_view text, const std::filesystem::path& path,
                             const std::string& display) {
  UserConfig out;
  out.path = path;
  out.display = display;
  YAML::Node root;
  if (auto too_large = manifest::check_yaml_text(text)) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: {}", display, too_large->what),
                "a user config holds a few settings; check that " + display + " is the right file");
  }
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{}:{}:{}: invalid YAML ({}), expected a map of settings", display,
                            e.mark.line + 1, e.mark.column + 1, e.msg),
                "check the indentation and quoting");
  }
  if (root.IsNull()) return out;
  if (auto too_big = manifest::check_yaml_tree(root)) {
    throw Error(
        ErrorKind::kConfig,
        fmt::format("{}:{}:{}: {}", display, too_big->mark.line, too_big->mark.col, too_big->what),
        "remove the aliases (*name) that repeat large parts of the file");
  }
  if (!root.IsMap()) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{}:{}:{}: the file is not a map, expected 'key: value' lines", display,
                            root.Mark().line + 1, root.Mark().column + 1),
                "");
  }
  flatten(root, "", out, display);
  return out;
}

std::filesystem::path user_config_path() {
  return fs::user_config_dir() / "config.yaml";
}

UserConfig load_user_config(const std::filesystem::path& path) {
  std::string text;
  if (!fs::read_file_if_exists(path, text)) {
    UserConfig empty;
    empty.path = path;
    empty.display = tilde_path(path);
    return empty;
  }
  return parse_user_config(text, path, tilde_path(path));
}

EnvGetter process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

EnvGetter env_from_map(std::map<std::string, std::string> env) {
  return [env = std::move(env)](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

Settings resolve(const manifest::Manifest* m, const std::map<std::string, std::string>& flags,
                 const EnvGetter& env, const UserConfig* user) {
  for (const auto& [key, value] : flags) {
    (void)value;
    if (!find_key(key)) {
      throw Error(ErrorKind::kInternal, "resolve() was given the unknown flag key '" + key + "'");
    }
  }
  Settings out;
  std::string target = "local";
  for (const auto& info : kKeys) {
    Value v;
    v.key = info.key;
    v.kind = info.kind;
    std::string expected;
    auto accept = [&](const std::string& raw, Source source, std::string origin, ErrorKind kind) {
      auto norm = normalize(info.key, raw, expected);
      if (!norm) invalid(kind, origin, info.key, raw, expected);
      v.value = *norm;
      v.source = source;
      v.origin = std::move(origin);
      return true;
    };
    bool done = false;
    // 1. command-line flag
    if (auto it = flags.find(info.key); it != flags.end())
      done = accept(it->second, Source::kFlag, info.flag, ErrorKind::kUsage);
    // 2. environment (MLBOX_*; an empty variable counts as unset)
    for (size_t i = 0; !done && i < info.env.size(); ++i) {
      auto e = env(info.env[i]);
      if (e && !e->empty())
        done = accept(*e, Source::kEnv, "env " + info.env[i], ErrorKind::kConfig);
    }
    // 3. mlbox.yaml (already validated by manifest::load)
    if (!done && m) {
      if (auto mv = from_manifest(*m, info.key, target)) {
        v.value = mv->first;
        v.source = Source::kManifest;
        v.origin = mv->second;
        done = true;
      }
    }
    // 4. user config
    if (!done && user) {
      if (auto it = user->values.find(info.key); it != user->values.end()) {
        done = accept(
            it->second.value, Source::kUserConfig,
            fmt::format("{}:{}:{}", user->display, it->second.mark.line, it->second.mark.col),
            ErrorKind::kConfig);
      }
    }
    // 5. default
    if (!done) {
      auto [value, origin] = default_for(info.key, target, env);
      v.value = value;
      v.source = Source::kDefault;
      v.origin = origin;
    }
    if (info.key == "mlbox_home" && v.value.starts_with("~/")) {
      auto h = env("HOME");
      v.value = ((h && !h->empty()) ? std::filesystem::path(*h) : fs::home_dir()).string() +
                v.value.substr(1);
    }
    if (info.key == "target") target = v.value;
    out.set(std::move(v));
  }
  return out;
}

Settings resolve_for_process(const manifest::Manifest* m,
                             const std::map<std::string, std::string>& flags) {
  UserConfig user = load_user_config(user_config_path());
  return resolve(m, flags, process_env(), &user);
}

}  // namespace mlbox::config
