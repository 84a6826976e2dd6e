#include "net/retry_policy.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <string>

#include "util/strings.h"

namespace mlbox::net {

RetryPolicy RetryPolicy::none() {
  RetryPolicy p;
  p.max_attempts = 1;
  return p;
}

bool RetryPolicy::retryable(const Outcome& outcome) const {
  if (!outcome.ok()) {
    return std::find(retry_failures.begin(), retry_failures.end(), outcome.failure) !=
           retry_failures.end();
  }
  long s = outcome.response.status;
  if (std::find(retry_statuses.begin(), retry_statuses.end(), s) != retry_statuses.end()) {
    return true;
  }
  return retry_server_errors && s >= 500 && s <= 599 && s != 501 && s != 505;
}

std::optional<std::chrono::milliseconds> RetryPolicy::delay_before_retry(int attempts_made,
                                                                         const Outcome& outcome,
                                                                         double random01) const {
  using std::chrono::milliseconds;
  if (attempts_made >= max_attempts || !retryable(outcome)) return std::nullopt;
  double exp = std::ldexp(static_cast<double>(base_delay.count()), attempts_made - 1);
  double capped = std::min(exp, static_cast<double>(max_delay.count()));
  double factor = 1.0 - jitter * std::clamp(random01, 0.0, 1.0);
  auto delay = milliseconds(static_cast<int64_t>(capped * factor));
  if (outcome.ok()) {
    if (auto ra = outcome.response.header("retry-after")) {
      if (auto wait = parse_retry_after(*ra, static_cast<int64_t>(std::time(nullptr)))) {
        // The server said when; never earlier than that, never absurdly long.
        delay = std::min(std::max(delay, *wait), max_retry_after);
      }
    }
  }
  return delay;
}

std::optional<int64_t> parse_http_date(std::string_view text) {
  // RFC 9110 5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms a recipient must
  // still accept. Always GMT.
  static constexpr const char* kFormats[] = {"%a, %d %b %Y %H:%M:%S GMT",
                                             "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"};
  std::string v(trim(text));
  for (const char* format : kFormats) {
    std::tm tm{};
    const char* end = ::strptime(v.c_str(), format, &tm);
    if (end && *end == '\0') return static_cast<int64_t>(::timegm(&tm));
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, int64_t now) {
  std::string v(trim(value));
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (v.size() > 9) return std::chrono::milliseconds(int64_t{999999999} * 1000);
    return std::chrono::milliseconds(std::stoll(v) * 1000);
  }
  auto when = parse_http_date(v);
  if (!when) return std::nullopt;
  int64_t delta = *when - now;
  return std::chrono::milliseconds(std::max<int64_t>(delta, 0) * 1000);
}

}  // namespace mlbox::net
