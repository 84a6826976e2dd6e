#include "manifest/load.h"

#include <algorithm>
#include <charconv>
#include <regex>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "manifest/image_ref.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace mlbox::manifest {

namespace {

Mark to_mark(const YAML::Mark& m) {
  if (m.is_null()) return {};
  return {m.line + 1, m.column + 1};
}

// How a node reads in a message: "'abc'", "a list", "a map", "empty".
std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      return "'" + n.Scalar() + "'";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    default:
      return "empty";
  }
}

bool is_quoted(const YAML::Node& n) {
  return n.Tag() == "!";
}

std::string keys_list(const std::vector<std::string>& keys) {
  return join(keys, ", ");
}

// A lowercase name that passes as an OCI repository component, for hints.
std::string suggest_image_name(std::string_view text) {
  std::string out;
  for (char c : to_lower(text)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (ok) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::optional<bool> parse_bool(std::string_view s) {
  std::string v = to_lower(s);
  if (v == "true" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "no" || v == "off") return false;
  return std::nullopt;
}

std::optional<int64_t> parse_int(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

nlohmann::json yaml_to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json obj = nlohmann::json::object();
      for (auto it = n.begin(); it != n.end(); ++it)
        obj[it->first.Scalar()] = yaml_to_json(it->second);
      return obj;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& item : n) arr.push_back(yaml_to_json(item));
      return arr;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (is_quoted(n)) return s;
      if (s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
      if (auto i = parse_int(s)) return *i;
      static const std::regex float_re("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
      if (std::regex_match(s, float_re)) return std::stod(s);
      return s;
    }
    default:
      return nullptr;
  }
}

const std::vector<std::string> kTopKeys = {
    "name",  "python",  "framework", "cuda",      "system_packages", "train",
    "image", "context", "data",      "resources", "targets"};

// Walks the YAML tree, fills the Manifest and collects every problem.
class Reader {
 public:
  Reader(Manifest& m, std::vector<Issue>& issues) : m_(m), issues_(issues) {}

  void read(const YAML::Node& root) {
    if (root.IsNull()) {
      add({1, 1}, "the file is empty",
          "a map with at least 'name' (run 'mlbox init' to write one)");
      return;
    }
    if (!root.IsMap()) {
      add(to_mark(root.Mark()), "the document is " + describe(root),
          "a map of keys (name, python, train, ...)");
      return;
    }
    bool have_name = false;
    for (const auto& f : fields(root, "", kTopKeys)) {
      if (f.key == "name") {
        have_name = true;
        read_name(f);
      } else if (f.key == "python") {
        read_python(f);
      } else if (f.key == "framework") {
        read_framework(f);
      } else if (f.key == "cuda") {
        read_cuda(f);
      } else if (f.key == "system_packages") {
        read_system_packages(f);
      } else if (f.key == "train") {
        read_train(f);
      } else if (f.key == "image") {
        read_image(f);
      } else if (f.key == "context") {
        read_context(f);
      } else if (f.key == "data") {
        read_data(f);
      } else if (f.key == "resources") {
        read_resources(f);
      } else if (f.key == "targets") {
        read_targets(f);
      }
    }
    if (!have_name)
      add({1, 1}, "the key 'name' is missing",
          "'name: <image name>' (lowercase letters, digits, '-', '_', '.')",
          "add a line like 'name: my-model' at the top");
  }

 private:
  struct Field {
    std::string key;
    std::string path;  // dotted
    YAML::Node value;
    Mark key_mark;
    Mark value_mark;  // the key's mark when the value is empty
  };

  void add(Mark mark, std::string what, std::string expected, std::string hint = {}) {
    issues_.push_back({mark, std::move(what), std::move(expected), std::move(hint)});
  }
  void add(const Field& f, std::string what, std::string expected, std::string hint = {}) {
    add(f.value_mark, std::move(what), std::move(expected), std::move(hint));
  }

  // The entries of a map, in file order; unknown keys (when `allowed` is not empty),
  // duplicate keys and non-string keys are reported and skipped. Records marks.
  std::vector<Field> fields(const YAML::Node& map, const std::string& path,
                            const std::vector<std::string>& allowed) {
    std::vector<Field> out;
    std::vector<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      YAML::Node k = it->first;
      Mark key_mark = to_mark(k.Mark());
      if (!k.IsScalar()) {
        add(key_mark, "a key is " + describe(k), "a plain string key");
        continue;
      }
      std::string key = k.Scalar();
      std::string dotted = path.empty() ? key : path + "." + key;
      std::string where = path.empty() ? "at the top level" : "in '" + path + "'";
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        add(key_mark, "duplicate key '" + key + "' " + where,
            "each key once (" + m_.where(dotted) + " already sets it)",
            "remove one of the two '" + key + "' entries");
        continue;
      }
      seen.push_back(key);
      if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        if (path.empty() && key.starts_with("x-")) continue;  // extension keys, ignored
        auto near = did_you_mean(key, allowed);
        std::string what = "unknown key '" + key + "' " + where;
        std::string expected = "one of: " + keys_list(allowed);
        if (near) expected += " (did you mean '" + *near + "'?)";
        add(key_mark, what, expected,
            near ? "rename '" + key + "' to '" + *near + "'"
                 : "remove '" + key + "' or move it under the right section");
        continue;
      }
      Field f{key, dotted, YAML::Node(it->second), key_mark, key_mark};
      if (!f.value.IsNull()) f.value_mark = to_mark(f.value.Mark());
      m_.marks[dotted] = key_mark;
      out.push_back(std::move(f));
    }
    return out;
  }

  // A map section; an empty value counts as an empty map.
  bool is_map(const Field& f, const std::vector<std::string>& keys) {
    if (f.value.IsMap() || f.value.IsNull()) return true;
    add(f, f.path + " is " + describe(f.value), "a map with keys " + keys_list(keys));
    return false;
  }

  std::optional<std::string> string_of(const Field& f, const std::string& expected = "a string") {
    if (f.value.IsScalar()) {
      if (f.value.Scalar().empty()) {
        add(f, f.path + " is an empty string", expected);
        return std::nullopt;
      }
      return f.value.Scalar();
    }
    add(f, f.path + " is " + describe(f.value), expected);
    return std::nullopt;
  }

  std::optional<std::vector<std::string>> string_list_of(const Field& f,
                                                         const std::string& what_items) {
    if (f.value.IsNull()) return std::vector<std::string>{};
    if (!f.value.IsSequence()) {
      add(f, f.path + " is " + describe(f.value), "a list of " + what_items,
          "write it as a YAML list, e.g. '" + f.key + ": [a, b]'");
      return std::nullopt;
    }
    std::vector<std::string> out;
    size_t i = 0;
    for (const auto& item : f.value) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        add(to_mark(item.Mark()), fmt::format("{}[{}] is {}", f.path, i, describe(item)),
            "a string (" + what_items + ")");
        return std::nullopt;
      }
      out.push_back(item.Scalar());
      ++i;
    }
    return out;
  }

  std::optional<bool> bool_of(const Field& f) {
    if (f.value.IsScalar()) {
      if (auto b = parse_bool(f.value.Scalar())) return b;
    }
    add(f, f.path + " is " + describe(f.value), "true or false");
    return std::nullopt;
  }

  std::optional<int64_t> int_of(const Field& f, int64_t min) {
    std::string expected = fmt::format("an integer >= {}", min);
    if (f.value.IsScalar()) {
      if (auto v = parse_int(f.value.Scalar())) {
        if (*v >= min) return v;
        add(f, fmt::format("{} is {}", f.path, *v), expected);
        return std::nullopt;
      }
    }
    add(f, f.path + " is " + describe(f.value), expected);
    return std::nullopt;
  }

  bool matches(const std::string& s, const char* pattern) {
    return std::regex_match(s, std::regex(pattern));
  }

  void read_name(const Field& f) {
    auto s = string_of(f, "an image name (lowercase letters, digits, '-', '_', '.')");
    if (!s) return;
    if (!valid_path_component(*s)) {
      std::string suggestion = suggest_image_name(*s);
      add(f, "name '" + *s + "' is not a valid image name",
          "lowercase letters and digits, separated by '.', '_', '__' or '-' "
          "(an OCI repository component)",
          suggestion.empty() ? "" : "use 'name: " + suggestion + "'");
      return;
    }
    m_.name = *s;
  }

  void read_python(const Field& section) {
    static const std::vector<std::string> keys = {"version", "requirements", "packages"};
    if (!is_map(section, keys)) return;
    const Field* requirements = nullptr;
    const Field* packages = nullptr;
    auto fs = fields(section.value, section.path, keys);
    for (const auto& f : fs) {
      if (f.key == "version") {
        auto s = string_of(f, "a Python version like \"3.11\"");
        if (!s) continue;
        if (!matches(*s, "3\\.[0-9]{1,2}")) {
          add(f, "python.version is '" + *s + "'", "a Python version like \"3.11\" (3.X)",
              matches(*s, "3\\.[0-9]{1,2}\\.[0-9]+")
                  ? "write only major.minor: \"" + s->substr(0, s->rfind('.')) + "\""
                  : "");
          continue;
        }
        m_.python.version = *s;
      } else if (f.key == "requirements") {
        requirements = &f;
        if (auto s = string_of(f, "a path to a requirements file, e.g. requirements.txt"))
          m_.python.requirements = *s;
      } else if (f.key == "packages") {
        packages = &f;
        if (auto l = string_list_of(f, "requirement specifiers like 'torch==2.3.1'"))
          m_.python.packages = *l;
      }
    }
    if (requirements && packages) {
      const Field& later =
          requirements->key_mark.line > packages->key_mark.line ? *requirements : *packages;
      add(later.key_mark, "python.requirements and python.packages are both set",
          "only one of them", "keep the requirements file or the inline list, not both");
    }
  }

  void read_framework(const Field& section) {
    static const std::vector<std::string> keys = {"name", "version"};
    static const std::vector<std::string> names = {"pytorch", "tensorflow", "none"};
    if (!is_map(section, keys)) return;
    const Field* version = nullptr;
    auto fs = fields(section.value, section.path, keys);
    for (const auto& f : fs) {
      if (f.key == "name") {
        auto s = string_of(f, "one of: pytorch, tensorflow, none");
        if (!s) continue;
        if (std::find(names.begin(), names.end(), *s) == names.end()) {
          auto near = did_you_mean(*s, names);
          std::string expected = "one of: pytorch, tensorflow, none";
          if (near) expected += " (did you mean '" + *near + "'?)";
          add(f, "framework.name is '" + *s + "'", expected,
              *s == "torch" ? "write 'pytorch'"
                            : (*s == "keras" ? "Keras runs on 'tensorflow'" : ""));
          continue;
        }
        m_.framework.name = *s;
      } else if (f.key == "version") {
        version = &f;
        auto s = string_of(f, "a version like \"2.3.1\"");
        if (!s) continue;
        if (!matches(*s, "[0-9]+(\\.[0-9]+){0,2}")) {
          add(f, "framework.version is '" + *s + "'", "a version like \"2.3.1\" or \"2.15\"");
          continue;
        }
        m_.framework.version = *s;
      }
    }
    if (version && !m_.framework.version.empty() && m_.framework.name == "none" &&
        m_.marks.count("framework.name"))
      add(version->key_mark, "framework.version is set but framework.name is 'none'",
          "framework.name: pytorch or tensorflow with a version");
    else if (version && !m_.framework.version.empty() && !m_.marks.count("framework.name"))
      add(version->key_mark, "framework.version is set without framework.name",
          "framework.name: pytorch or tensorflow");
  }

  void read_cuda(const Field& f) {
    auto s = string_of(f, "a CUDA version like \"12.1\"");
    if (!s) return;
    if (!matches(*s, "[0-9]{1,2}\\.[0-9]{1,2}(\\.[0-9]+)?")) {
      add(f, "cuda is '" + *s + "'", "a CUDA version like \"12.1\" or \"11.8\"",
          "remove 'cuda' to let mlbox choose one that fits the framework");
      return;
    }
    m_.cuda = *s;
  }

  void read_system_packages(const Field& f) {
    auto l = string_list_of(f, "Debian package names");
    if (!l) return;
    size_t i = 0;
    for (const auto& item : f.value) {
      if (!matches((*l)[i], "[a-z0-9][a-z0-9+.-]*(=[A-Za-z0-9.+:~-]+)?")) {
        add(to_mark(item.Mark()), fmt::format("system_packages[{}] is '{}'", i, (*l)[i]),
            "a Debian package name, optionally pinned as name=version (e.g. libgl1)");
        return;
      }
      ++i;
    }
    m_.system_packages = *l;
  }

  void read_train(const Field& section) {
    static const std::vector<std::string> keys = {"command", "native"};
    if (!is_map(section, keys)) return;
    const Field* command = nullptr;
    const Field* native = nullptr;
    auto fs = fields(section.value, section.path, keys);
    for (const auto& f : fs) {
      if (f.key == "command") {
        command = &f;
        read_command(f);
      } else if (f.key == "native") {
        native = &f;
        if (!f.value.IsMap()) {
          add(f, "train.native is " + describe(f.value),
              "a map with the native trainer's settings (model, data, optimizer, ...)");
          continue;
        }
        m_.train.native = yaml_to_json(f.value);
      }
    }
    if (command && native) {
      const Field& later = command->key_mark.line > native->key_mark.line ? *command : *native;
      add(later.key_mark, "train.command and train.native are both set", "exactly one of them",
          "use 'command' to run your script, 'native' for the built-in "
          "TorchScript trainer");
    } else if (!command && !native) {
      add(section.key_mark, "train has neither 'command' nor 'native'",
          "train.command (e.g. \"python train.py\") or train.native (a native trainer config)");
    }
  }

  void read_command(const Field& f) {
    const std::string expected = "a command line (\"python train.py --epochs 3\") or a list";
    std::vector<std::string> argv;
    if (f.value.IsScalar()) {
      std::string why;
      if (!split_command_line(f.value.Scalar(), argv, &why)) {
        add(f, "train.command cannot be split: " + why, expected);
        return;
      }
      static const std::vector<std::string> ops = {"|", "||", "&&", ";", ">", ">>", "<", "&"};
      for (const auto& arg : argv) {
        if (std::find(ops.begin(), ops.end(), arg) != ops.end()) {
          add(f, "train.command uses the shell operator '" + arg + "'",
              "a plain command (mlbox runs it without a shell)",
              "write it as command: [\"sh\", \"-c\", \"...\"] if you need a shell");
          return;
        }
      }
    } else if (f.value.IsSequence()) {
      size_t i = 0;
      for (const auto& item : f.value) {
        if (!item.IsScalar()) {
          add(to_mark(item.Mark()), fmt::format("train.command[{}] is {}", i, describe(item)),
              "a string argument");
          return;
        }
        argv.push_back(item.Scalar());
        ++i;
      }
    } else {
      add(f, "train.command is " + describe(f.value), expected);
      return;
    }
    if (argv.empty() || argv.front().empty()) {
      add(f, "train.command is empty", expected);
      return;
    }
    m_.train.command = std::move(argv);
  }

  void read_image(const Field& section) {
    static const std::vector<std::string> keys = {"repository", "base"};
    if (!is_map(section, keys)) return;
    for (const auto& f : fields(section.value, section.path, keys)) {
      if (f.key == "repository") {
        auto s = string_of(f, "a repository like us-docker.pkg.dev/PROJECT/REPO/NAME");
        if (!s) continue;
        std::string why;
        if (!valid_repository(*s, &why)) {
          add(f, "image.repository '" + *s + "' is not valid: " + why,
              "[host[:port]/]path without tag, e.g. us-docker.pkg.dev/PROJECT/REPO/NAME");
          continue;
        }
        m_.image.repository = *s;
      } else if (f.key == "base") {
        auto s = string_of(f, "an image reference");
        if (!s) continue;
        std::string why;
        if (!parse_image_source(*s, &why)) {
          add(f, "image.base '" + *s + "' is not valid: " + why,
              "a registry reference (nvidia/cuda:12.1.1-runtime-ubuntu22.04, "
              "host:port/repo@sha256:...), oci:PATH[:TAG] or docker-archive:PATH");
          continue;
        }
        m_.image.base = *s;
      }
    }
  }

  void read_context(const Field& section) {
    static const std::vector<std::string> keys = {"include", "exclude", "allow_secrets"};
    if (!is_map(section, keys)) return;
    for (const auto& f : fields(section.value, section.path, keys)) {
      auto l = string_list_of(f, "paths or glob patterns");
      if (!l) continue;
      if (f.key == "include") m_.context.include = *l;
      if (f.key == "exclude") m_.context.exclude = *l;
      if (f.key == "allow_secrets") m_.context.allow_secrets = *l;
    }
  }

  void read_data(const Field& section) {
    if (!section.value.IsMap() && !section.value.IsNull()) {
      add(section, "data is " + describe(section.value),
          "a map of NAME: local path or gs:// / s3:// URI");
      return;
    }
    for (const auto& f : fields(section.value, section.path, {})) {
      if (!matches(f.key, "[A-Za-z_][A-Za-z0-9_.-]*")) {
        add(f.key_mark, "data name '" + f.key + "' is not valid",
            "a name of letters, digits, '_', '-', '.' starting with a letter or '_'");
        continue;
      }
      auto s = string_of(f, "a local path or a gs:// or s3:// URI");
      if (!s) continue;
      size_t scheme_end = s->find("://");
      if (scheme_end != std::string::npos) {
        std::string scheme = s->substr(0, scheme_end);
        std::string rest = s->substr(scheme_end + 3);
        std::string bucket = rest.substr(0, rest.find('/'));
        if (scheme != "gs" && scheme != "s3") {
          add(f, f.path + " uses the scheme '" + scheme + "://'",
              "a local path or a gs:// or s3:// URI");
          continue;
        }
        if (!matches(bucket, "[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")) {
          add(f, f.path + " has the bucket name '" + bucket + "'",
              "a bucket name (lowercase letters, digits, '.', '-', '_') after " + scheme + "://");
          continue;
        }
      }
      m_.data[f.key] = *s;
    }
  }

  void read_resources(const Field& section) {
    static const std::vector<std::string> keys = {"machine", "gpu", "spot", "nodes", "max_runtime"};
    if (!is_map(section, keys)) return;
    for (const auto& f : fields(section.value, section.path, keys)) {
      if (f.key == "machine") {
        if (auto s = string_of(f, "a machine type like n1-standard-8 or g4dn.xlarge"))
          m_.resources.machine = *s;
      } else if (f.key == "gpu") {
        auto s = string_of(f, "a GPU request like \"T4:1\" (TYPE:COUNT)");
        if (!s) continue;
        auto g = parse_gpu_request(*s);
        if (!g) {
          add(f, "resources.gpu is '" + *s + "'", "TYPE:COUNT like \"T4:1\" or \"A100:8\"",
              "run 'mlbox machines' to list GPU types");
          continue;
        }
        m_.resources.gpu = *g;
      } else if (f.key == "spot") {
        if (auto b = bool_of(f)) m_.resources.spot = *b;
      } else if (f.key == "nodes") {
        if (auto n = int_of(f, 1)) m_.resources.nodes = static_cast<int>(*n);
      } else if (f.key == "max_runtime") {
        std::optional<int64_t> secs;
        if (f.value.IsScalar()) secs = parse_duration_seconds(f.value.Scalar());
        if (!secs) {
          add(f, "resources.max_runtime is " + describe(f.value),
              "a duration like \"2h\", \"90m\", \"45s\", \"1h30m\" or seconds (3600)");
          continue;
        }
        m_.resources.max_runtime_seconds = *secs;
      }
    }
  }

  void read_targets(const Field& section) {
    static const std::vector<std::string> keys = {"vertex", "batch", "local"};
    if (!is_map(section, keys)) return;
    for (const auto& f : fields(section.value, section.path, keys)) {
      if (f.key == "vertex") read_vertex(f);
      if (f.key == "batch") read_batch(f);
      if (f.key == "local") read_local(f);
    }
  }

  void read_vertex(const Field& section) {
    static const std::vector<std::string> keys = {"project", "region", "output", "service_account"};
    if (!is_map(section, keys)) return;
    VertexTarget t;
    for (const auto& f : fields(section.value, section.path, keys)) {
      auto s = string_of(f);
      if (!s) continue;
      if (f.key == "project") {
        if (!matches(*s, "[a-z][a-z0-9-]{4,28}[a-z0-9]|[a-z0-9.-]+:[a-z][a-z0-9-]{4,28}[a-z0-9]"))
          add(f, "targets.vertex.project is '" + *s + "'",
              "a Google Cloud project ID (6-30 lowercase letters, digits, '-')");
        else
          t.project = *s;
      } else if (f.key == "region") {
        if (!matches(*s, "[a-z]+-[a-z]+[0-9]+"))
          add(f, "targets.vertex.region is '" + *s + "'", "a Google Cloud region like us-central1");
        else
          t.region = *s;
      } else if (f.key == "output") {
        if (!s->starts_with("gs://") || s->size() <= 5)
          add(f, "targets.vertex.output is '" + *s + "'", "a gs://BUCKET[/PREFIX] URI");
        else
          t.output = *s;
      } else if (f.key == "service_account") {
        if (!matches(*s, "[^@\\s]+@[^@\\s]+"))
          add(f, "targets.vertex.service_account is '" + *s + "'",
              "a service account email (NAME@PROJECT.iam.gserviceaccount.com)");
        else
          t.service_account = *s;
      }
    }
    m_.targets.vertex = t;
  }

  void read_batch(const Field& section) {
    static const std::vector<std::string> keys = {"region", "job_queue", "job_role_arn", "output"};
    if (!is_map(section, keys)) return;
    BatchTarget t;
    for (const auto& f : fields(section.value, section.path, keys)) {
      auto s = string_of(f);
      if (!s) continue;
      if (f.key == "region") {
        if (!matches(*s, "[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+"))
          add(f, "targets.batch.region is '" + *s + "'", "an AWS region like us-east-1");
        else
          t.region = *s;
      } else if (f.key == "job_queue") {
        t.job_queue = *s;
      } else if (f.key == "job_role_arn") {
        if (!matches(*s, "arn:aws[a-z-]*:iam::[0-9]{12}:role/.+"))
          add(f, "targets.batch.job_role_arn is '" + *s + "'",
              "an IAM role ARN like arn:aws:iam::123456789012:role/NAME");
        else
          t.job_role_arn = *s;
      } else if (f.key == "output") {
        if (!s->starts_with("s3://") || s->size() <= 5)
          add(f, "targets.batch.output is '" + *s + "'", "an s3://BUCKET[/PREFIX] URI");
        else
          t.output = *s;
      }
    }
    m_.targets.batch = t;
  }

  void read_local(const Field& section) {
    static const std::vector<std::string> keys = {"output"};
    if (!is_map(section, keys)) return;
    LocalTarget t;
    for (const auto& f : fields(section.value, section.path, keys)) {
      if (auto s = string_of(f, "a local directory")) t.output = *s;
    }
    m_.targets.local = t;
  }

  Manifest& m_;
  std::vector<Issue>& issues_;
};

Mark first_indentation_tab(std::string_view text) {
  int line = 1;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    for (size_t i = pos; i < end && (text[i] == ' ' || text[i] == '\t'); ++i) {
      if (text[i] == '\t') return {line, static_cast<int>(i - pos) + 1};
    }
    pos = end + 1;
    ++line;
  }
  return {};
}

// How messages name a file: relative to the working directory when it lies below it
// ("mlbox.yaml:3:5" rather than "/home/me/proj/mlbox.yaml:3:5").
std::string display_name(const std::filesystem::path& p) {
  std::filesystem::path shown = p.lexically_normal();
  if (shown.is_absolute()) {
    std::error_code ec;
    auto cwd = std::filesystem::current_path(ec);
    if (!ec) {
      auto rel = shown.lexically_relative(cwd);
      if (!rel.empty() && *rel.begin() != "..") shown = rel;
    }
  }
  std::string s = shown.generic_string();
  return s.empty() ? "mlbox.yaml" : s;
}

}  // namespace

std::string Manifest::where(const std::string& key) const {
  std::string file = display_name(path);
  auto it = marks.find(key);
  if (it == marks.end() || it->second.line == 0) return file;
  return fmt::format("{}:{}:{}", file, it->second.line, it->second.col);
}

std::string Issue::format(const std::string& file) const {
  std::string out =
      mark.line > 0 ? fmt::format("{}:{}:{}: ", file, mark.line, mark.col) : file + ": ";
  out += what;
  if (!expected.empty()) out += ", expected " + expected;
  return out;
}

const std::vector<std::string>& top_level_keys() {
  return kTopKeys;
}

std::vector<Issue> check(std::string_view yaml_text, const std::filesystem::path& name_for_errors,
                         Manifest& out) {
  out = Manifest{};
  out.path = name_for_errors;
  std::vector<Issue> issues;
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    // yaml-cpp reports a tab in the indentation wherever the structure then breaks;
    // point at the tab itself, the usual culprit.
    Mark tab = first_indentation_tab(yaml_text);
    if (tab.line > 0 && (e.mark.is_null() || tab.line <= e.mark.line + 1)) {
      issues.push_back({tab, "a tab character in the indentation",
                        "spaces (YAML does not allow tabs for indentation)",
                        "replace the tab with spaces"});
      return issues;
    }
    issues.push_back({to_mark(e.mark), "invalid YAML (" + e.msg + ")", "well-formed YAML",
                      "check the indentation (spaces, no tabs) and quoting"});
    return issues;
  }
  if (docs.size() > 1) {
    issues.push_back({to_mark(docs[1].Mark()), "the file holds more than one YAML document",
                      "a single document (remove the '---' separator)", ""});
    return issues;
  }
  Reader reader(out, issues);
  reader.read(docs.empty() ? YAML::Node() : docs.front());
  std::stable_sort(issues.begin(), issues.end(), [](const Issue& a, const Issue& b) {
    return std::tie(a.mark.line, a.mark.col) < std::tie(b.mark.line, b.mark.col);
  });
  return issues;
}

Manifest parse(std::string_view yaml_text, const std::filesystem::path& name_for_errors) {
  Manifest m;
  auto issues = check(yaml_text, name_for_errors, m);
  if (issues.empty()) return m;
  std::string file = display_name(name_for_errors);
  std::vector<std::string> lines;
  for (const auto& issue : issues) lines.push_back(issue.format(file));
  std::string hint;
  for (const auto& issue : issues) {
    if (!issue.hint.empty()) {
      hint = issue.hint;
      break;
    }
  }
  throw Error(ErrorKind::kConfig, join(lines, "\n"), hint);
}

Manifest load(const std::filesystem::path& file) {
  std::string text;
  if (!fs::read_file_if_exists(file, text)) {
    throw Error(ErrorKind::kConfig, display_name(file) + ": no such file",
                "run 'mlbox init' to write an mlbox.yaml for this project, or pass -C DIR");
  }
  return parse(text, file);
}

bool split_command_line(std::string_view text, std::vector<std::string>& argv, std::string* why) {
  argv.clear();
  std::string cur;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\'') {
      size_t end = text.find('\'', i + 1);
      if (end == std::string_view::npos) {
        if (why) *why = "unterminated single quote";
        return false;
      }
      cur.append(text.substr(i + 1, end - i - 1));
      in_word = true;
      i = end;
    } else if (c == '"') {
      size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        if (text[j] == '\\' && j + 1 < text.size() &&
            std::string_view("\"\\$`\n").find(text[j + 1]) != std::string_view::npos) {
          ++j;
        }
        cur += text[j];
      }
      if (j >= text.size()) {
        if (why) *why = "unterminated double quote";
        return false;
      }
      in_word = true;
      i = j;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) {
        if (why) *why = "a trailing backslash";
        return false;
      }
      if (text[i + 1] != '\n') cur += text[i + 1];
      in_word = true;
      ++i;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) argv.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) argv.push_back(std::move(cur));
  return true;
}

std::optional<int64_t> parse_duration_seconds(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  if (auto plain = parse_int(text)) return *plain > 0 ? plain : std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start || i >= text.size()) return std::nullopt;
    auto n = parse_int(text.substr(start, i - start));
    if (!n) return std::nullopt;
    int64_t unit = 0;
    switch (text[i]) {
      case 'd':
        unit = 86400;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'm':
        unit = 60;
        break;
      case 's':
        unit = 1;
        break;
      default:
        return std::nullopt;
    }
    total += *n * unit;
    ++i;
  }
  return total > 0 ? std::optional<int64_t>(total) : std::nullopt;
}

std::optional<GpuRequest> parse_gpu_request(std::string_view text) {
  static const std::regex re("([A-Za-z][A-Za-z0-9_-]*)(:([0-9]+))?");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_match(text.begin(), text.end(), m, re)) return std::nullopt;
  GpuRequest g;
  for (char c : std::string(m[1].str())) g.type += static_cast<char>(std::toupper(c));
  g.count = 1;
  if (m[3].matched) {
    auto n = parse_int(m[3].str());
    if (!n || *n < 1 || *n > 64) return std::nullopt;
    g.count = static_cast<int>(*n);
  }
  return g;
}

std::string format_gpu_request(const GpuRequest& gpu) {
  if (gpu.type.empty() || gpu.count == 0) return {};
  return fmt::format("{}:{}", gpu.type, gpu.count);
}

}  // namespace mlbox::manifest
