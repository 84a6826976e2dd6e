// Dependency resolution for `mlbox freeze`: pip's own resolver (a dry-run install for the
// image's platform and Python, with a JSON report), or `uv pip compile --generate-hashes`
// when uv is on PATH. mlbox never resolves versions itself.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/events.h"
#include "freeze/lock.h"
#include "util/process.h"

namespace mlbox::freeze {

struct ResolveOptions {
  std::string python_exe = "python3";   // runs pip; its own version does not matter
  std::string python_version = "3.11";  // the image's Python
  std::string platform = "manylinux2014_x86_64";
  std::vector<std::string> requirements;    // inline specifiers
  std::filesystem::path requirements_file;  // -r FILE (absolute)
  std::vector<std::string> find_links;
  bool no_index = false;
  std::string index_url;
  std::vector<std::string> extra_index_urls;
  enum class Resolver { kAuto, kPip, kUv } resolver = Resolver::kAuto;
};

struct Resolution {
  std::vector<LockedPackage> packages;  // sorted by normalised name
  std::string resolver;                 // "pip 23.2.1"
};

// The argv of pip's dry-run resolve (exposed for tests and --verbose).
std::vector<std::string> pip_resolve_command(const ResolveOptions& o,
                                             const std::filesystem::path& report,
                                             const std::filesystem::path& target);
std::vector<std::string> uv_compile_command(const ResolveOptions& o,
                                            const std::filesystem::path& input);

// Parse pip's installation report (format version 1). Throws Error(kInternal) when a
// distribution has no sha256 (pip always reports one for archives it selected).
Resolution parse_pip_report(const std::string& json_text);
// Parse `uv pip compile --generate-hashes` output (pip requirements format).
Resolution parse_uv_output(const std::string& text);

// Runs the resolver. Throws Error(kConfig) naming the requirement pip could not resolve.
Resolution resolve(const ResolveOptions& o, CommandRunner& runner, Observer& observer);

}  // namespace mlbox::freeze
