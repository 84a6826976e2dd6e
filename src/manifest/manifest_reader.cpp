#include "manifest/manifest_reader.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "util/numbers.h"
#include "util/strings.h"

namespace mlbox::manifest {

namespace {

std::string keys_list(const std::vector<std::string>& keys) {
  return join(keys, ", ");
}

std::optional<bool> parse_bool(std::string_view s) {
  std::string v = to_lower(s);
  if (v == "true" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "no" || v == "off") return false;
  return std::nullopt;
}

const std::vector<std::string> kTopKeys = {
    "name",  "python",  "framework", "cuda",      "system_packages", "train",
    "image", "context", "data",      "resources", "targets",         "sweep"};

}  // namespace

const std::vector<std::string>& top_level_keys() {
  return kTopKeys;
}

Mark to_mark(const YAML::Mark& m) {
  if (m.is_null()) return {};
  return {m.line + 1, m.column + 1};
}

std::string quote_value(std::string_view text) {
  constexpr size_t kShown = 60;
  if (text.size() <= kShown) return "'" + std::string(text) + "'";
  return fmt::format("'{}...' ({} characters)", text.substr(0, kShown), text.size());
}

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      return quote_value(n.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    default:
      return "empty";
  }
}

void ManifestReader::read(const YAML::Node& root) {
  if (root.IsNull()) {
    add({1, 1}, "the file is empty", "a map with at least 'name' (run 'mlbox init' to write one)");
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
    } else if (f.key == "sweep") {
      read_sweep(f);
    }
  }
  if (!have_name)
    add({1, 1}, "the key 'name' is missing",
        "'name: <image name>' (lowercase letters, digits, '-', '_', '.')",
        "add a line like 'name: my-model' at the top");
}

void ManifestReader::add(Mark mark, std::string what, std::string expected, std::string hint) {
  issues_.push_back({mark, std::move(what), std::move(expected), std::move(hint)});
}
void ManifestReader::add(const Field& f, std::string what, std::string expected, std::string hint) {
  add(f.value_mark, std::move(what), std::move(expected), std::move(hint));
}

std::vector<ManifestReader::Field> ManifestReader::fields(const YAML::Node& map,
                                                          const std::string& path,
                                                          const std::vector<std::string>& allowed) {
  std::vector<Field> out;
  std::set<std::string> seen;
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
    if (!seen.insert(key).second) {
      add(key_mark, "duplicate key " + quote_value(key) + " " + where,
          "each key once (" + m_.where(dotted) + " already sets it)",
          "remove one of the two " + quote_value(key) + " entries");
      continue;
    }
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      if (path.empty() && key.starts_with("x-")) continue;  // extension keys, ignored
      auto near = did_you_mean(key, allowed);
      std::string what = "unknown key " + quote_value(key) + " " + where;
      std::string expected = "one of: " + keys_list(allowed);
      if (near) expected += " (did you mean '" + *near + "'?)";
      add(key_mark, what, expected,
          near ? "rename " + quote_value(key) + " to '" + *near + "'"
               : "remove " + quote_value(key) + " or move it under the right section");
      continue;
    }
    Field f{key, dotted, YAML::Node(it->second), key_mark, key_mark};
    if (!f.value.IsNull()) f.value_mark = to_mark(f.value.Mark());
    m_.marks[dotted] = key_mark;
    out.push_back(std::move(f));
  }
  return out;
}

bool ManifestReader::is_map(const Field& f, const std::vector<std::string>& keys) {
  if (f.value.IsMap() || f.value.IsNull()) return true;
  add(f, f.path + " is " + describe(f.value), "a map with keys " + keys_list(keys));
  return false;
}

std::optional<std::string> ManifestReader::string_of(const Field& f, const std::string& expected) {
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

std::optional<std::vector<std::string>> ManifestReader::string_list_of(
    const Field& f, const std::string& what_items) {
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

std::optional<bool> ManifestReader::bool_of(const Field& f) {
  if (f.value.IsScalar()) {
    if (auto b = parse_bool(f.value.Scalar())) return b;
  }
  add(f, f.path + " is " + describe(f.value), "true or false");
  return std::nullopt;
}

std::optional<int64_t> ManifestReader::int_of(const Field& f, int64_t min) {
  std::string expected = fmt::format("an integer >= {}", min);
  if (f.value.IsScalar()) {
    if (auto v = parse_i64(f.value.Scalar())) {
      if (*v >= min) return v;
      add(f, fmt::format("{} is {}", f.path, *v), expected);
      return std::nullopt;
    }
  }
  add(f, f.path + " is " + describe(f.value), expected);
  return std::nullopt;
}

}  // namespace mlbox::manifest
