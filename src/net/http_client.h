// Blocking requests on top of the program's Transport (net/transport.h), with the retry
// policy applied, plain-HTTP rules enforced, and every request traced (redacted) through the
// Observer. Safe to call from many threads at once.
#pragma once

#include <atomic>
#include <future>
#include <memory>

#include "core/events.h"
#include "net/http_types.h"
#include "net/retry_policy.h"
#include "net/transport.h"

namespace mlbox::net {

class HttpClient {
 public:
  // `observer` receives debug traces and retry warnings; it must be thread-safe.
  HttpClient(TransportConfig config, Observer& observer);

  // Sends `request`, retrying per `policy`. A transport failure after the last attempt is
  // returned in the Outcome (not thrown); throws Error(kUsage) for a plain-HTTP URL to a
  // host that is neither loopback nor listed as insecure.
  Outcome send(const Request& request, const RetryPolicy& policy = RetryPolicy{});

  // Whether plain HTTP is allowed for this host[:port].
  bool plain_http_allowed(std::string_view authority) const;
  bool insecure(std::string_view authority) const;
  const TransportConfig& config() const { return transport_->config(); }
  Observer& observer() { return observer_; }
  // Trace request/response headers (redacted) at debug level, not just the request line.
  void set_trace_headers(bool on) { trace_headers_ = on; }
  // Retries made so far by this client (for summaries and tests).
  uint64_t retries() const { return retries_.load(); }

 private:
  void trace(const Request& request, const Outcome& outcome, int attempt, double seconds);

  Observer& observer_;
  std::unique_ptr<Transport> transport_;
  bool trace_headers_ = false;
  std::atomic<uint64_t> retries_{0};
};

// "GET https://host/v2/x (attempt 2)" style description with the URL redacted.
std::string describe(const Request& request);
// "HTTP 503", "connection reset: Recv failure: Connection reset by peer"
std::string describe(const Outcome& outcome);

}  // namespace mlbox::net
