#include <doctest/doctest.h>

#include "util/numbers.h"

using namespace mlbox;

TEST_CASE("parse_u64: whole string, digits only, no overflow") {
  CHECK(parse_u64("0") == 0u);
  CHECK(parse_u64("18446744073709551615") == UINT64_MAX);
  CHECK_FALSE(parse_u64("18446744073709551616"));
  CHECK_FALSE(parse_u64(""));
  CHECK_FALSE(parse_u64("-1"));
  CHECK_FALSE(parse_u64("+1"));
  CHECK_FALSE(parse_u64("12 "));
  CHECK_FALSE(parse_u64("1x"));
  CHECK(parse_u64("ff", 16) == 255u);
  CHECK_FALSE(parse_u64("", 16));
}

TEST_CASE("parse_i64 and parse_decimal_double") {
  CHECK(parse_i64("-9223372036854775808") == INT64_MIN);
  CHECK(parse_i64("+42") == 42);
  CHECK_FALSE(parse_i64("9223372036854775808"));
  CHECK_FALSE(parse_i64("+-1"));
  CHECK_FALSE(parse_i64("+"));
  CHECK(parse_decimal_double("1.5e3") == 1500.0);
  CHECK(parse_decimal_double(".5") == 0.5);
  CHECK(parse_decimal_double("+2.") == 2.0);
  CHECK_FALSE(parse_decimal_double("1e999"));
  CHECK_FALSE(parse_decimal_double("inf"));
  CHECK_FALSE(parse_decimal_double("nan"));
  CHECK_FALSE(parse_decimal_double("0x10"));
  CHECK_FALSE(parse_decimal_double("."));
  CHECK_FALSE(parse_decimal_double("1e"));
  CHECK_FALSE(parse_decimal_double("1.2.3"));
}
