#include "builder/context_filter.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "util/error.h"
#include "util/fs.h"

namespace mlbox::builder {

namespace stdfs = std::filesystem;

std::vector<std::string> ContextListing::paths() const {
  std::vector<std::string> out;
  out.reserve(entries.size());
  for (const auto& e : entries) out.push_back(e.path);
  return out;
}

std::vector<std::string> ContextListing::files() const {
  std::vector<std::string> out;
  for (const auto& e : entries) {
    if (e.type != ContextEntry::Type::kDirectory) out.push_back(e.path);
  }
  return out;
}

IgnorePatterns load_exclusions(const stdfs::path& root, const ContextRules& rules) {
  IgnorePatterns patterns;
  std::string text;
  if (rules.read_dockerignore && fs::read_file_if_exists(root / ".dockerignore", text)) {
    patterns.add_lines(text, (root / ".dockerignore").string());
  }
  if (rules.read_mlboxignore && fs::read_file_if_exists(root / ".mlboxignore", text)) {
    patterns.add_lines(text, (root / ".mlboxignore").string());
  }
  for (size_t i = 0; i < rules.exclude.size(); ++i) {
    patterns.add(rules.exclude[i], fmt::format("mlbox.yaml: context.exclude[{}]", i));
  }
  return patterns;
}

namespace {

struct Walker {
  stdfs::path root;
  IgnorePatterns exclude;
  IgnorePatterns include;  // empty = everything
  std::vector<ContextEntry> out;

  bool included(const std::string& rel) const {
    if (!include.empty() && !include.matches(rel)) return false;
    return !exclude.matches(rel);
  }

  // Could anything below directory `rel` be included? Conservative: true unless the
  // directory is excluded and no '!' pattern exists (or include rules can never reach it).
  bool worth_walking(const std::string& rel) const {
    if (exclude.matches(rel) && !exclude.has_reincludes()) return false;
    return true;
  }

  // Returns true when something at or below `rel` was listed.
  bool walk_dir(const std::string& rel) {
    stdfs::path dir = rel.empty() ? root : root / rel;
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& e : stdfs::directory_iterator(dir, ec)) {
      names.push_back(e.path().filename().string());
    }
    if (ec) {
      throw Error(ErrorKind::kConfig,
                  fmt::format("{}: cannot list the build context: {}", dir.string(), ec.message()),
                  "fix the permissions or exclude it (context.exclude or .mlboxignore)");
    }
    std::sort(names.begin(), names.end());
    bool any = false;
    for (const auto& name : names) {
      std::string child = rel.empty() ? name : rel + "/" + name;
      if (child == ".mlbox") continue;
      stdfs::path full = root / child;
      struct stat st {};
      if (::lstat(full.c_str(), &st) != 0) {
        throw Error(ErrorKind::kConfig,
                    fmt::format("{}: cannot read: {}", full.string(), std::strerror(errno)));
      }
      if (S_ISDIR(st.st_mode)) {
        if (!worth_walking(child)) continue;
        size_t mark = out.size();
        out.push_back({child, ContextEntry::Type::kDirectory});
        bool below = walk_dir(child);
        if (!below && !included(child)) {
          out.erase(out.begin() + static_cast<std::ptrdiff_t>(mark));
        } else {
          any = true;
        }
        continue;
      }
      if (!included(child)) continue;
      if (S_ISREG(st.st_mode)) {
        out.push_back({child, ContextEntry::Type::kFile});
      } else if (S_ISLNK(st.st_mode)) {
        out.push_back({child, ContextEntry::Type::kSymlink});
      } else {
        throw Error(ErrorKind::kConfig,
                    fmt::format("{}: is a socket, device or fifo and cannot go into an image",
                                full.string()),
                    fmt::format("exclude it: add '{}' to .mlboxignore or context.exclude", child));
      }
      any = true;
    }
    return any;
  }
};

}  // namespace

ContextListing list_build_context(const stdfs::path& root, const ContextRules& rules) {
  std::error_code ec;
  if (!stdfs::is_directory(root, ec)) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{}: the build context is not a directory", root.string()));
  }
  Walker w{root, load_exclusions(root, rules), {}, {}};
  for (size_t i = 0; i < rules.include.size(); ++i) {
    w.include.add(rules.include[i], fmt::format("mlbox.yaml: context.include[{}]", i));
  }
  w.walk_dir("");
  ContextListing listing;
  listing.entries = std::move(w.out);
  std::sort(listing.entries.begin(), listing.entries.end(),
            [](const ContextEntry& a, const ContextEntry& b) { return a.path < b.path; });
  return listing;
}

}  // namespace mlbox::builder
