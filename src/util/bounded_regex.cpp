#include "util/bounded_regex.h"

#include <map>
#include <memory>
#include <mutex>
#include <regex>

namespace mlbox {

namespace {

const std::regex& compiled(const char* pattern) {
  static std::mutex mutex;
  static std::map<const char*, std::unique_ptr<std::regex>> cache;
  std::lock_guard lock(mutex);
  auto& slot = cache[pattern];
  if (!slot) slot = std::make_unique<std::regex>(pattern, std::regex::ECMAScript);
  return *slot;
}

}  // namespace

bool regex_match_bounded(std::string_view text, const char* pattern, size_t max_length) {
  if (text.size() > max_length) return false;
  return std::regex_match(text.begin(), text.end(), compiled(pattern));
}

}  // namespace mlbox
