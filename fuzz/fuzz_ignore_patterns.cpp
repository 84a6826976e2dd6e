// .dockerignore / context.exclude patterns, then paths matched against them. The input is
// patterns, a blank line, then one path per line.
#include "builder/ignore_patterns.h"
#include "fuzz_support.h"
#include "util/error.h"
#include "util/strings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = mlbox::fuzz::as_text(data, size);
  size_t split = text.find("\n\n");
  std::string_view patterns = text.substr(0, split);
  std::string_view paths = split == std::string_view::npos ? "" : text.substr(split + 2);
  mlbox::builder::IgnorePatterns ignore;
  try {
    ignore.add_lines(patterns, ".dockerignore");
  } catch (const mlbox::Error&) {
    return 0;
  }
  for (const auto& path : mlbox::split(paths, '\n')) (void)ignore.matches(path);
  return 0;
}
