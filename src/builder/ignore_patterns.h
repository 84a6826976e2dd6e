// .dockerignore pattern semantics (moby/patternmatcher), shared by the build context filter
// and context.allow_secrets:
//  - each pattern is cleaned like Go's filepath.Clean and a leading '/' is dropped;
//  - '*' matches any run of non-'/' characters, '?' one non-'/' character, '[...]' a class,
//    '\' escapes, '**' any number of directories (zero included);
//  - a pattern matches a path or any of its parent directories ("build" covers build/x);
//  - '!' re-includes; the last pattern that matches decides;
//  - blank lines and lines starting with '#' are ignored.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace mlbox::builder {

class IgnorePatterns {
 public:
  // Adds one pattern; `origin` ("path/.dockerignore:3") names it in errors.
  void add(std::string_view pattern, const std::string& origin);
  // Adds every line of a .dockerignore-style file.
  void add_lines(std::string_view text, const std::string& file_name);

  // True when the last pattern matching `path` (or one of its parents) is not a '!' one.
  bool matches(std::string_view path) const;
  // True when some pattern starts with '!': an excluded directory must then still be walked,
  // since a child may be re-included.
  bool has_reincludes() const { return has_reincludes_; }
  bool empty() const { return patterns_.empty(); }
  size_t size() const { return patterns_.size(); }

 private:
  struct Pattern {
    std::string text;  // cleaned, without '!'
    bool negated = false;
    std::shared_ptr<std::regex> re;
    std::string origin;
  };
  bool match_one(const Pattern& p, std::string_view path) const;
  std::vector<Pattern> patterns_;
  bool has_reincludes_ = false;
};

// Go's filepath.Clean for '/'-separated paths ("" -> ".").
std::string clean_path(std::string_view path);
// The regular expression moby builds for a cleaned pattern (exposed for tests).
std::string pattern_to_regex(std::string_view pattern);

}  // namespace mlbox::builder
