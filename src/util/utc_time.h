// RFC 3339 UTC times as mlbox writes them ("2026-11-22T18:01:02Z") and reads them back.
#pragma once

#include <cstdint>
#include <string>

namespace mlbox {

// "YYYY-MM-DDTHH:MM:SSZ" for seconds since the epoch.
std::string format_rfc3339(int64_t unix_seconds);
// The same with a custom strftime format ("%Y%m%dT%H%M%SZ" for SigV4, "%Y%m%d" for ids).
std::string format_utc(int64_t unix_seconds, const char* strftime_format);
// Now, as format_rfc3339.
std::string utc_now_rfc3339();
// Now with milliseconds, for log lines: "2026-11-22T14:52:31.123Z".
std::string utc_now_millis();
// Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS..." read as UTC (fractions and the zone
// suffix ignored); -1 when malformed.
int64_t parse_rfc3339(const std::string& text);

}  // namespace mlbox
