// Number parsing for text from outside (files, HTTP headers, XML, YAML): the whole string
// must be the number, no overflow, no exceptions. std::sto* throw on bad input and
// accept trailing garbage; use these instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mlbox {

// Decimal (or `base` 16) digits only: no sign, no spaces, fits in 64 bits.
std::optional<uint64_t> parse_u64(std::string_view text, int base = 10);
// An optional '+' or '-', then decimal digits; fits in int64_t.
std::optional<int64_t> parse_i64(std::string_view text);
// A decimal floating-point literal: [+-] digits [. digits] [e [+-] digits] (or .digits);
// finite. No hex floats, inf or nan.
std::optional<double> parse_decimal_double(std::string_view text);

}  // namespace mlbox
