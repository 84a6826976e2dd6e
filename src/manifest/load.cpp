#include "manifest/load.h"

#include <algorithm>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "manifest/manifest_reader.h"
#include "manifest/yaml_limits.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace mlbox::manifest {

namespace {

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

std::vector<Issue> check(std::string_view yaml_text, const std::filesystem::path& name_for_errors,
                         Manifest& out) {
  out = Manifest{};
  out.path = name_for_errors;
  std::vector<Issue> issues;
  std::vector<YAML::Node> docs;
  if (auto too_large = check_yaml_text(yaml_text)) {
    issues.push_back({too_large->mark, too_large->what, "an mlbox.yaml of at most 1 MiB",
                      "keep large settings in files the manifest points to"});
    return issues;
  }
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
  YAML::Node root = docs.empty() ? YAML::Node() : docs.front();
  if (auto too_big = check_yaml_tree(root)) {
    issues.push_back({too_big->mark, too_big->what, "a manifest of ordinary size",
                      "remove the aliases (*name) that repeat large parts of the file"});
    return issues;
  }
  ManifestReader reader(out, issues);
  reader.read(root);
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

}  // namespace mlbox::manifest
