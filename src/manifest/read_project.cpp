// name, python, framework, cuda, system_packages: what the image is built from.
#include "manifest/manifest_reader.h"

#include <algorithm>

#include <fmt/format.h>

#include "manifest/image_ref.h"
#include "util/bounded_regex.h"
#include "util/strings.h"

namespace mlbox::manifest {

namespace {

// A lowercase name that passes as an OCI repository component, for hints; empty when none
// fits (or it would be too long to suggest).
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
  return out.size() <= 128 ? out : std::string();
}

}  // namespace

void ManifestReader::read_name(const Field& f) {
  auto s = string_of(f, "an image name (lowercase letters, digits, '-', '_', '.')");
  if (!s) return;
  if (!valid_path_component(*s)) {
    std::string suggestion = suggest_image_name(*s);
    add(f, "name " + quote_value(*s) + " is not a valid image name",
        "lowercase letters and digits, separated by '.', '_', '__' or '-' "
        "(an OCI repository component)",
        suggestion.empty() ? "" : "use 'name: " + suggestion + "'");
    return;
  }
  m_.name = *s;
}

void ManifestReader::read_python(const Field& section) {
  static const std::vector<std::string> keys = {"version", "requirements", "packages"};
  if (!is_map(section, keys)) return;
  const Field* requirements = nullptr;
  const Field* packages = nullptr;
  auto fs = fields(section.value, section.path, keys);
  for (const auto& f : fs) {
    if (f.key == "version") {
      auto s = string_of(f, "a Python version like \"3.11\"");
      if (!s) continue;
      if (!regex_match_bounded(*s, "3\\.[0-9]{1,2}")) {
        add(f, "python.version is " + quote_value(*s), "a Python version like \"3.11\" (3.X)",
            regex_match_bounded(*s, "3\\.[0-9]{1,2}\\.[0-9]+")
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
    add(later.key_mark, "python.requirements and python.packages are both set", "only one of them",
        "keep the requirements file or the inline list, not both");
  }
}

void ManifestReader::read_framework(const Field& section) {
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
        add(f, "framework.name is " + quote_value(*s), expected,
            *s == "torch" ? "write 'pytorch'"
                          : (*s == "keras" ? "Keras runs on 'tensorflow'" : ""));
        continue;
      }
      m_.framework.name = *s;
    } else if (f.key == "version") {
      version = &f;
      auto s = string_of(f, "a version like \"2.3.1\"");
      if (!s) continue;
      if (!regex_match_bounded(*s, "[0-9]+(\\.[0-9]+){0,2}")) {
        add(f, "framework.version is " + quote_value(*s), "a version like \"2.3.1\" or \"2.15\"");
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

void ManifestReader::read_cuda(const Field& f) {
  auto s = string_of(f, "a CUDA version like \"12.1\"");
  if (!s) return;
  if (!regex_match_bounded(*s, "[0-9]{1,2}\\.[0-9]{1,2}(\\.[0-9]+)?")) {
    add(f, "cuda is " + quote_value(*s), "a CUDA version like \"12.1\" or \"11.8\"",
        "remove 'cuda' to let mlbox choose one that fits the framework");
    return;
  }
  m_.cuda = *s;
}

void ManifestReader::read_system_packages(const Field& f) {
  auto l = string_list_of(f, "Debian package names");
  if (!l) return;
  size_t i = 0;
  for (const auto& item : f.value) {
    if (!regex_match_bounded((*l)[i], "[a-z0-9][a-z0-9+.-]*(=[A-Za-z0-9.+:~-]+)?")) {
      add(to_mark(item.Mark()), fmt::format("system_packages[{}] is {}", i, quote_value((*l)[i])),
          "a Debian package name, optionally pinned as name=version (e.g. libgl1)");
      return;
    }
    ++i;
  }
  m_.system_packages = *l;
}

}  // namespace mlbox::manifest
