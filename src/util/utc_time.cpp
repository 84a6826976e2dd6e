#include "util/utc_time.h"

#include <time.h>

#include <cstdio>
#include <ctime>

namespace mlbox {

std::string format_utc(int64_t unix_seconds, const char* strftime_format) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, strftime_format, &tm);
  return std::string(buf, n);
}

std::string format_rfc3339(int64_t unix_seconds) {
  return format_utc(unix_seconds, "%Y-%m-%dT%H:%M:%SZ");
}

std::string utc_now_rfc3339() {
  return format_rfc3339(static_cast<int64_t>(std::time(nullptr)));
}

int64_t parse_rfc3339(const std::string& text) {
  std::tm tm{};
  if (text.size() < 19 || !strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return -1;
  return static_cast<int64_t>(timegm(&tm));
}

std::string utc_now_millis() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  char millis[32];
  std::snprintf(millis, sizeof millis, ".%03ldZ", ts.tv_nsec / 1000000);
  return format_utc(static_cast<int64_t>(ts.tv_sec), "%Y-%m-%dT%H:%M:%S") + millis;
}

}  // namespace mlbox
