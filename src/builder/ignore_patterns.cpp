#include "builder/ignore_patterns.h"

#include <fmt/format.h>

#include "util/error.h"
#include "util/strings.h"

namespace mlbox::builder {

namespace {

constexpr size_t kMaxPatternLength = 4096;  // PATH_MAX

}  // namespace

std::string clean_path(std::string_view path) {
  if (path.empty()) return ".";
  bool rooted = path.front() == '/';
  std::vector<std::string> out;
  for (const auto& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!out.empty() && out.back() != "..") {
        out.pop_back();
      } else if (!rooted) {
        out.push_back("..");
      }
      continue;
    }
    out.push_back(part);
  }
  std::string joined = join(out, "/");
  if (rooted) return "/" + joined;
  return joined.empty() ? "." : joined;
}

std::string pattern_to_regex(std::string_view pattern) {
  std::string re = "^";
  size_t i = 0;
  const size_t n = pattern.size();
  while (i < n) {
    char ch = pattern[i];
    if (ch == '*') {
      if (i + 1 < n && pattern[i + 1] == '*') {
        i += 2;
        if (i < n && pattern[i] == '/') ++i;  // "**/" behaves as "**"
        if (i >= n) {
          re += ".*";  // "**" at the end: everything below
        } else {
          re += "(.*/)?";  // any number of directories, zero included
        }
        continue;
      }
      re += "[^/]*";
    } else if (ch == '?') {
      re += "[^/]";
    } else if (ch == '\\') {
      if (i + 1 < n) {
        ++i;
        re += '\\';
        re += pattern[i];
      } else {
        re += "\\\\";
      }
    } else if (ch == '[') {
      // Copy the class through to its ']' (Go: '^' negates, '\' escapes).
      size_t j = i + 1;
      std::string cls = "[";
      if (j < n && (pattern[j] == '^' || pattern[j] == '!')) {
        cls += '^';
        ++j;
      }
      bool closed = false;
      for (; j < n; ++j) {
        char c = pattern[j];
        if (c == '\\' && j + 1 < n) {
          cls += '\\';
          cls += pattern[++j];
          continue;
        }
        if (c == ']' && cls.size() > 1 && cls != "[^") {
          closed = true;
          break;
        }
        if (c == '[') {
          cls += "\\[";
          continue;
        }
        cls += c;
      }
      if (!closed) throw std::regex_error(std::regex_constants::error_brack);
      re += cls + "]";
      i = j + 1;
      continue;
    } else if (std::string_view(".+()|{}$^]").find(ch) != std::string_view::npos) {
      re += '\\';
      re += ch;
    } else {
      re += ch;
    }
    ++i;
  }
  re += "$";
  return re;
}

void IgnorePatterns::add(std::string_view raw, const std::string& origin) {
  std::string_view text = trim(raw);
  if (text.empty() || text.front() == '#') return;
  // std::regex compiles and matches recursively, per character: no path is longer than
  // PATH_MAX, so no useful pattern is either.
  if (text.size() > kMaxPatternLength) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{}: a pattern of {} characters (at most {})", origin, text.size(),
                            kMaxPatternLength),
                "shorten it, or split it into several patterns");
  }
  Pattern p;
  p.origin = origin;
  if (text.front() == '!') {
    p.negated = true;
    text.remove_prefix(1);
    text = trim(text);
    if (text.empty()) {
      throw Error(ErrorKind::kConfig, fmt::format("{}: '!' without a pattern", origin),
                  "write '!PATTERN' to re-include files matching PATTERN");
    }
  }
  std::string cleaned = clean_path(text);
  while (!cleaned.empty() && cleaned.front() == '/') cleaned.erase(0, 1);
  if (cleaned.empty() || cleaned == ".") return;  // "/" or ".": the root, matches nothing
  p.text = cleaned;
  try {
    p.re = std::make_shared<std::regex>(pattern_to_regex(cleaned), std::regex::ECMAScript);
  } catch (const std::regex_error&) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: bad pattern '{}'", origin, raw),
                "patterns follow .dockerignore syntax: *, ?, [a-z], ** and a leading ! ");
  }
  if (p.negated) has_reincludes_ = true;
  patterns_.push_back(std::move(p));
}

void IgnorePatterns::add_lines(std::string_view text, const std::string& file_name) {
  int line_no = 0;
  for (const auto& line : split(text, '\n')) {
    ++line_no;
    std::string l = line;
    if (!l.empty() && l.back() == '\r') l.pop_back();
    add(l, fmt::format("{}:{}", file_name, line_no));
  }
}

bool IgnorePatterns::match_one(const Pattern& p, std::string_view path) const {
  // Longer paths cannot exist on disk; matching them would only risk the regex's recursion.
  if (path.size() > kMaxPatternLength) return false;
  std::string s(path);
  if (std::regex_match(s, *p.re)) return true;
  // A pattern matching a parent directory covers everything below it.
  for (size_t slash = s.find('/'); slash != std::string::npos; slash = s.find('/', slash + 1)) {
    if (std::regex_match(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(slash), *p.re)) {
      return true;
    }
  }
  return false;
}

bool IgnorePatterns::matches(std::string_view path) const {
  bool matched = false;
  for (const auto& p : patterns_) {
    // Only a pattern that could flip the current answer needs evaluating.
    if (p.negated != matched) continue;
    if (match_one(p, path)) matched = !p.negated;
  }
  return matched;
}

}  // namespace mlbox::builder
