// The secret scanner's content rules, run over a window of a file's bytes. A keyword
// prefilter (one 4-byte hash probe per byte, no regex) finds the few places worth a look;
// the rule behind each keyword then checks the exact format around it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mlbox::builder::secret_rules {

// How strictly `key: value` pairs are read, from the file's name.
enum class TextClass {
  kCode,      // .py, .js, .go, ...: only quoted literals, random-looking values
  kConfig,    // .yaml, .json, .ini, .toml, shell, no extension: literals of any shape
  kDotenv,    // .env, *.env, .env.local: as config, reported as dotenv-secret
  kTemplate,  // .env.example and friends: no key/value rule
  kProse,     // docs and the rest: random-looking values only
};

struct FileTraits {
  std::string name;  // base name
  TextClass text = TextClass::kProse;
  bool binary = false;  // a NUL in the first 8 KiB: only exact-format rules (keys, tokens)
  bool nested = false;  // decoded from inside another finding's context (Secret data)
};
FileTraits file_traits(std::string_view path, std::string_view head);

struct Hit {
  int rank = 0;  // lower is more specific; a file's finding is its lowest-ranked hit
  std::string kind;
  std::string reason;   // what was seen, without the secret
  uint64_t line = 0;    // 1-based
  std::string excerpt;  // the line around it, the secret replaced by ****
};

// A window of a file: rules look at trigger positions [from, to) of `data`. The caller keeps
// kLookbehind bytes before `from` (or the file's start) and kLookahead bytes after `to` (or
// the file's end) in `data`, and 8 readable bytes past data's end.
struct Window {
  std::string_view data;
  size_t from = 0, to = 0;
  uint64_t lines_before = 0;  // newlines before data[0]
};
constexpr size_t kLookbehind = 64 << 10;
constexpr size_t kLookahead = 64 << 10;
constexpr size_t kMaxHitsPerFile = 32;

void scan_window(const FileTraits& traits, const Window& w, std::vector<Hit>& hits);

// Scans a whole buffer (it must fit in memory); used for decoded values and tests.
std::vector<Hit> scan_buffer(const FileTraits& traits, std::string_view content);

// Every kind the content rules report.
const std::vector<std::string>& content_kinds();

}  // namespace mlbox::builder::secret_rules
