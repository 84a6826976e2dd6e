// Reading mlbox.yaml: YAML syntax, schema and value checks, all errors with LINE:COL.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "manifest/manifest.h"

namespace mlbox::manifest {

// One problem found in a manifest; `mark` is 1-based.
struct Issue {
  Mark mark;
  std::string what;      // "resources.nodes is 0"
  std::string expected;  // "an integer >= 1"
  std::string hint;      // what to do; may be empty
  // "<file>:LINE:COL: <what>, expected <expected>"
  std::string format(const std::string& file) const;
};

// Reads and validates `file`. Throws Error(kConfig) naming file:LINE:COL for every problem
// found (one per line, in file order), with the first problem's hint. Pure: writes nothing.
Manifest load(const std::filesystem::path& file);

// The same for text in memory; `name_for_errors` is what error messages call the file.
Manifest parse(std::string_view yaml_text, const std::filesystem::path& name_for_errors);

// Non-throwing variant: fills `out` and returns the problems (empty = valid).
std::vector<Issue> check(std::string_view yaml_text, const std::filesystem::path& name_for_errors,
                         Manifest& out);

// "train.py --epochs 3" -> {"train.py", "--epochs", "3"} with POSIX-shell-like quoting
// ('single', "double" with \ escapes, \ outside quotes). Returns false on an unterminated
// quote or trailing backslash and sets *why.
bool split_command_line(std::string_view text, std::vector<std::string>& argv, std::string* why);

// "2h" / "90m" / "45s" / "1h30m" / "3600" -> seconds; nullopt when malformed or zero.
std::optional<int64_t> parse_duration_seconds(std::string_view text);

// "T4:1" / "a100:8" / "T4" -> {T4, 1}; nullopt when malformed.
std::optional<GpuRequest> parse_gpu_request(std::string_view text);
// "16GB" / "16GiB" / "16G" / "512MB" / "16" (GiB) / "16+" -> GiB (at least that much; GB and
// GiB alike, as SkyPilot reads them); nullopt when malformed or zero.
std::optional<double> parse_memory_gib(std::string_view text);

// {T4, 1} -> "T4:1"; empty when no GPU.
std::string format_gpu_request(const GpuRequest& gpu);

// The keys mlbox.yaml accepts at the top level, in documentation order.
const std::vector<std::string>& top_level_keys();

}  // namespace mlbox::manifest
