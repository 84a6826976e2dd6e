// std::regex on text from outside, safely. libstdc++'s matcher recurses about once per
// input character, so a long value (a 40 KB manifest field) overflows the stack, and each
// call to std::regex's constructor recompiles. regex_match_bounded refuses text longer
// than `max_length` before matching and compiles each pattern once.
#pragma once

#include <cstddef>
#include <string_view>

namespace mlbox {

// Whether all of `text` matches the ECMAScript `pattern`; false when `text` is longer than
// `max_length`. `pattern` must be a string literal (it is cached by address).
bool regex_match_bounded(std::string_view text, const char* pattern, size_t max_length = 512);

}  // namespace mlbox
