#include "net/http_client.h"

#include <chrono>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "net/redact_http.h"
#include "util/error.h"
#include "util/redact.h"
#include "util/strings.h"

namespace mlbox::net {

namespace {

double random01() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace

HttpClient::HttpClient(TransportConfig config, Observer& observer)
    : observer_(observer), transport_(make_transport(std::move(config))) {}

bool HttpClient::insecure(std::string_view authority) const {
  return host_listed(config().insecure_hosts, authority);
}

bool HttpClient::plain_http_allowed(std::string_view authority) const {
  return net::plain_http_allowed(config(), authority);
}

std::string describe(const Request& request) {
  return request.method + " " + redact_url(request.url);
}

std::string describe(const Outcome& outcome) {
  if (outcome.ok()) return fmt::format("HTTP {}", outcome.response.status);
  return fmt::format("{}: {}", failure_name(outcome.failure), outcome.error);
}

Outcome HttpClient::send(const Request& request, const RetryPolicy& policy) {
  if (url_scheme(request.url) == "http" && !plain_http_allowed(url_authority(request.url))) {
    throw Error(ErrorKind::kUsage,
                fmt::format("refusing plain HTTP to {}", redact_url(request.url)),
                fmt::format("use https, or pass --insecure-registry {} if this registry really "
                            "serves plain HTTP",
                            url_authority(request.url)));
  }
  for (int attempt = 1;; ++attempt) {
    auto started = std::chrono::steady_clock::now();
    Outcome outcome = transport_->submit(request).get();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    trace(request, outcome, attempt, seconds);
    if (!outcome.refused_redirect.empty()) {
      throw Error(ErrorKind::kRemote,
                  fmt::format("{} redirected to plain HTTP: {}; refused, nothing was sent there",
                              describe(request), redact_url(outcome.refused_redirect)),
                  fmt::format("pass --insecure-registry {} only if you trust that host over "
                              "plain HTTP",
                              url_authority(outcome.refused_redirect)));
    }
    if (outcome.sink_error) std::rethrow_exception(outcome.sink_error);
    auto delay = policy.delay_before_retry(attempt, outcome, random01());
    if (!delay) return outcome;
    if (request.on_body) {
      if (!request.on_body_restart) return outcome;
      request.on_body_restart();
    }
    ++retries_;
    observer_.warn(fmt::format("{}: {}; retrying in {:.1f}s (attempt {}/{})", describe(request),
                               describe(outcome), static_cast<double>(delay->count()) / 1000.0,
                               attempt + 1, policy.max_attempts));
    std::this_thread::sleep_for(*delay);
  }
}

void HttpClient::trace(const Request& request, const Outcome& outcome, int attempt,
                       double seconds) {
  std::string line =
      fmt::format("{} -> {} ({:.0f} ms{})", describe(request), describe(outcome), seconds * 1000,
                  attempt > 1 ? fmt::format(", attempt {}", attempt) : std::string());
  if (trace_headers_) {
    for (const auto& [k, v] : request.headers) {
      line += fmt::format("\n  > {}: {}", k, redact_header_value(k, v));
    }
    for (const auto& [k, v] : outcome.response.headers) {
      line += fmt::format("\n  < {}: {}", k, redact_header_value(k, v));
    }
    if (outcome.ok() && outcome.response.status >= 400 && !outcome.response.body.empty()) {
      line += "\n  < " + redact_body(outcome.response.body);
    }
  }
  observer_.debug(std::move(line));
}

}  // namespace mlbox::net
