#include "util/numbers.h"

#include <charconv>
#include <cmath>

namespace mlbox {

std::optional<uint64_t> parse_u64(std::string_view text, int base) {
  if (text.empty() || text.front() == '+' || text.front() == '-') return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<int64_t> parse_i64(std::string_view text) {
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    if (!text.empty() && text.front() == '-') return std::nullopt;  // "+-1"
  }
  if (text.empty()) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

namespace {

size_t skip_digits(std::string_view s, size_t i) {
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  return i;
}

}  // namespace

std::optional<double> parse_decimal_double(std::string_view text) {
  // Checked by hand first: from_chars alone would take "inf", "nan" and hex digits.
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  size_t int_end = skip_digits(text, i);
  bool digits = int_end > i;
  i = int_end;
  if (i < text.size() && text[i] == '.') {
    size_t frac_end = skip_digits(text, i + 1);
    digits = digits || frac_end > i + 1;
    i = frac_end;
  }
  if (!digits) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    size_t j = i + 1;
    if (j < text.size() && (text[j] == '+' || text[j] == '-')) ++j;
    size_t exp_end = skip_digits(text, j);
    if (exp_end == j) return std::nullopt;
    i = exp_end;
  }
  if (i != text.size()) return std::nullopt;
  std::string_view number = text;
  if (number.front() == '+') number.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
  if (ec != std::errc() || end != number.data() + number.size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

}  // namespace mlbox
