// Small string helpers used across modules.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlbox {

std::vector<std::string> split(std::string_view s, char sep);
std::string_view trim(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
std::string to_lower(std::string_view s);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
size_t edit_distance(std::string_view a, std::string_view b);
// The closest candidate within a small edit distance, for "did you mean ...?".
std::optional<std::string> did_you_mean(std::string_view word,
                                        const std::vector<std::string>& candidates);

}  // namespace mlbox
