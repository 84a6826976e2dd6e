// When to try a request again, as data: which statuses and transport failures are worth a
// retry, how many attempts, exponential backoff with jitter, and Retry-After honoured.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "net/http_types.h"

namespace mlbox::net {

struct RetryPolicy {
  int max_attempts = 5;  // including the first
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{20000};
  std::chrono::milliseconds max_retry_after{60000};  // a longer Retry-After is capped
  double jitter = 0.5;  // the delay is scaled by a factor in [1 - jitter, 1]
  std::vector<long> retry_statuses{408, 429};
  bool retry_server_errors = true;  // 5xx except 501 Not Implemented, 505
  std::vector<TransportFailure> retry_failures{TransportFailure::kConnect, TransportFailure::kReset,
                                               TransportFailure::kTimeout};

  // No retries at all (for requests whose caller recovers itself, like a chunk PATCH).
  static RetryPolicy none();

  bool retryable(const Outcome& outcome) const;
  // The wait before attempt `attempts_made + 1`, or nullopt when the outcome is final.
  // `random01` in [0, 1) picks the jitter (injected so tests are deterministic).
  std::optional<std::chrono::milliseconds> delay_before_retry(int attempts_made,
                                                              const Outcome& outcome,
                                                              double random01) const;
};

// An HTTP-date (IMF-fixdate, RFC 850 or asctime form) as seconds since the epoch.
std::optional<int64_t> parse_http_date(std::string_view text);
// Retry-After as delta-seconds or an HTTP-date, relative to `now` (seconds since epoch).
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, int64_t now);

}  // namespace mlbox::net
