#include <cctype>
#include <limits>

#include <fmt/format.h>

#include "manifest/load.h"
#include "util/numbers.h"
#include "util/strings.h"

namespace mlbox::manifest {

std::optional<int64_t> parse_duration_seconds(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  if (auto plain = parse_i64(text)) return *plain > 0 ? plain : std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start || i >= text.size()) return std::nullopt;
    auto n = parse_u64(text.substr(start, i - start));
    if (!n) return std::nullopt;
    int64_t unit = 0;
    switch (text[i]) {
      case 'd':
        unit = 86400;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'm':
        unit = 60;
        break;
      case 's':
        unit = 1;
        break;
      default:
        return std::nullopt;
    }
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    if (*n > static_cast<uint64_t>((kMax - total) / unit)) return std::nullopt;  // overflow
    total += static_cast<int64_t>(*n) * unit;
    ++i;
  }
  return total > 0 ? std::optional<int64_t>(total) : std::nullopt;
}

std::optional<GpuRequest> parse_gpu_request(std::string_view text) {
  // TYPE[:COUNT], TYPE = [A-Za-z][A-Za-z0-9_-]*, COUNT = 1..64.
  size_t colon = text.find(':');
  std::string_view type = text.substr(0, colon);
  if (type.empty() || !std::isalpha(static_cast<unsigned char>(type.front()))) return std::nullopt;
  GpuRequest g;
  for (char c : type) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return std::nullopt;
    g.type += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  g.count = 1;
  if (colon != std::string_view::npos) {
    auto n = parse_u64(text.substr(colon + 1));
    if (!n || *n < 1 || *n > 64) return std::nullopt;
    g.count = static_cast<int>(*n);
  }
  return g;
}

std::optional<double> parse_memory_gib(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.back() == '+') text.remove_suffix(1);  // "at least", as always
  size_t digits = 0;
  while (digits < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.')) {
    ++digits;
  }
  auto n = parse_decimal_double(text.substr(0, digits));
  if (!n || *n <= 0 || *n > 1e6) return std::nullopt;
  std::string unit = to_lower(trim(text.substr(digits)));
  if (unit.empty() || unit == "g" || unit == "gb" || unit == "gi" || unit == "gib") return n;
  if (unit == "m" || unit == "mb" || unit == "mi" || unit == "mib") return *n / 1024;
  if (unit == "t" || unit == "tb" || unit == "ti" || unit == "tib") return *n * 1024;
  return std::nullopt;
}

std::string format_gpu_request(const GpuRequest& gpu) {
  if (gpu.type.empty() || gpu.count == 0) return {};
  return fmt::format("{}:{}", gpu.type, gpu.count);
}

}  // namespace mlbox::manifest
