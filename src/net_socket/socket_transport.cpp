#include "net_socket/socket_transport.h"

#include <algorithm>
#include <cstring>

#include "net_socket/http1_exchange.h"
#include "net_socket/socket_connection.h"
#include "net_socket/transport_error.h"
#include "net_socket/url_parts.h"
#include "util/redact.h"
#include "util/strings.h"

namespace mlbox::net {

namespace {

constexpr int kMaxRedirects = 5;

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool has_header(const Headers& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return to_lower(h.first) == name; });
}

// Applies $MLBOX_CONNECT_TO rules ("HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT", empty parts
// meaning any / unchanged): the first rule that matches picks where to connect.
std::pair<std::string, int> connect_target(const std::vector<std::string>& rules,
                                           const UrlParts& url) {
  for (const auto& rule : rules) {
    auto parts = split(rule, ':');
    if (parts.size() != 4) continue;
    if (!parts[0].empty() && to_lower(parts[0]) != url.host) continue;
    if (!parts[1].empty() && parts[1] != std::to_string(url.port)) continue;
    std::string host = parts[2].empty() ? url.host : parts[2];
    int port = parts[3].empty() ? url.port : std::stoi(parts[3]);
    return {host, port};
  }
  return {url.host, url.port};
}

}  // namespace

struct SocketTransport::Route {
  std::string connect_host;
  int connect_port = 0;
  std::optional<ProxyTarget> proxy;
  std::string key;  // the idle pool's key
};

SocketTransport::SocketTransport(TransportConfig config, EnvLookup env)
    : config_(std::move(config)), env_(std::move(env)), trust_(config_.ca_file) {}

SocketTransport::~SocketTransport() = default;

std::future<Outcome> SocketTransport::submit(Request request) {
  std::promise<Outcome> promise;
  promise.set_value(perform(request));
  return promise.get_future();
}

SocketTransport::Route SocketTransport::route_for(const UrlParts& url) const {
  Route r;
  r.proxy = proxy_for(url.scheme, url.host, env_);
  if (r.proxy) {
    r.connect_host = r.proxy->host;
    r.connect_port = r.proxy->port;
  } else {
    std::tie(r.connect_host, r.connect_port) = connect_target(config_.connect_to, url);
  }
  r.key = url.scheme + "://" + url.host_port() + "@" + r.connect_host + ":" +
          std::to_string(r.connect_port) + (r.proxy ? "+proxy" : "");
  return r;
}

std::unique_ptr<SocketConnection> SocketTransport::take_idle(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = idle_.find(key);
  while (it != idle_.end() && !it->second.empty()) {
    auto conn = std::move(it->second.back());
    it->second.pop_back();
    if (!conn->idle_connection_dead()) return conn;
  }
  return nullptr;
}

void SocketTransport::put_idle(const std::string& key, std::unique_ptr<SocketConnection> conn) {
  std::lock_guard lock(mutex_);
  auto& list = idle_[key];
  if (list.size() < static_cast<size_t>(std::max(1L, config_.max_connections_per_host))) {
    list.push_back(std::move(conn));
  }
}

std::unique_ptr<SocketConnection> SocketTransport::connect(const Route& route,
                                                           const UrlParts& url) {
  auto conn = SocketConnection::open(route.connect_host, route.connect_port,
                                     config_.connect_timeout, config_.stall_timeout);
  if (route.proxy && url.scheme == "https") {
    Headers headers{{"Host", url.host_port()}, {"User-Agent", config_.user_agent}};
    if (!route.proxy->authorization.empty()) {
      headers.emplace_back("Proxy-Authorization", route.proxy->authorization);
    }
    write_request(*conn, "CONNECT", url.host_port(), headers, Request{}, nullptr);
    ResponseHead head = read_response_head(*conn);
    if (head.status < 200 || head.status >= 300) {
      throw TransportError(TransportFailure::kConnect,
                           "proxy " + route.proxy->display + " answered CONNECT " +
                               url.host_port() + " with HTTP " + std::to_string(head.status));
    }
  }
  if (url.scheme == "https") {
    bool verify = !host_listed(config_.insecure_hosts, url.authority()) &&
                  !host_listed(config_.insecure_hosts, url.host_port());
    conn->start_tls(trust_.context(), url.host, verify, config_.connect_timeout);
  }
  return conn;
}

void SocketTransport::exchange(const UrlParts& url, const std::string& method,
                               const Headers& request_headers, const Request& request,
                               Outcome& outcome) {
  Route route = route_for(url);
  Headers headers;
  if (!has_header(request_headers, "host")) headers.emplace_back("Host", url.authority());
  if (!has_header(request_headers, "user-agent"))
    headers.emplace_back("User-Agent", config_.user_agent);
  if (!has_header(request_headers, "accept")) headers.emplace_back("Accept", "*/*");
  for (const auto& [k, v] : request_headers) {
    if (!v.empty()) headers.emplace_back(k, v);  // "Name:" with no value is not sent (curl's rule)
  }
  bool has_body = !std::holds_alternative<std::monostate>(request.body);
  if ((has_body || method == "PUT" || method == "POST" || method == "PATCH") &&
      !has_header(request_headers, "content-length")) {
    headers.emplace_back("Content-Length", std::to_string(request.body_size()));
  }
  std::string target = url.target;
  if (route.proxy && url.scheme == "http") {
    target = url.scheme + "://" + url.authority() + url.target;
    if (!route.proxy->authorization.empty()) {
      headers.emplace_back("Proxy-Authorization", route.proxy->authorization);
    }
  }
  uint64_t sent = 0, received = 0;
  auto progress = [&] {
    if (request.on_progress) request.on_progress(sent, received);
  };
  // A kept-alive connection the server closed meanwhile fails before any answer: that one
  // request goes again on a new connection (the body is re-readable), as libcurl does.
  std::unique_ptr<SocketConnection> conn = take_idle(route.key);
  ResponseHead head;
  for (;;) {
    bool reused = conn != nullptr;
    if (!conn) conn = connect(route, url);
    try {
      write_request(*conn, method, target, headers, request, [&](uint64_t n) {
        sent = n;
        progress();
      });
      head = read_response_head(*conn);
      break;
    } catch (const TransportError& e) {
      if (!reused || e.failure() != TransportFailure::kReset) throw;
      conn.reset();
      sent = 0;
    }
  }
  outcome.response.status = head.status;
  outcome.response.headers = head.headers;
  bool to_sink = request.on_body && head.status >= 200 && head.status < 300;
  bool reusable =
      read_response_body(*conn, head, method == "HEAD", [&](const char* data, size_t n) {
        received += n;
        progress();
        if (to_sink) {
          bool accepted = false;
          try {
            accepted = request.on_body(data, n);
          } catch (...) {
            outcome.sink_error = std::current_exception();
          }
          if (!accepted) {
            throw TransportError(
                TransportFailure::kAborted,
                outcome.sink_error ? "the receiver failed" : "the receiver stopped the download");
          }
          return true;
        }
        if (outcome.response.body.size() + n > request.max_body) {
          throw TransportError(
              TransportFailure::kOther,
              "response body larger than " + std::to_string(request.max_body) + " bytes");
        }
        outcome.response.body.append(data, n);
        return true;
      });
  if (reusable) put_idle(route.key, std::move(conn));
}

Outcome SocketTransport::perform(const Request& request) {
  Outcome outcome;
  std::string url = request.url;
  std::string method = request.method;
  Headers headers = request.headers;
  Request current;  // the body and callbacks of the request as it now goes out
  current.body = request.body;
  current.on_body = request.on_body;
  current.on_progress = request.on_progress;
  current.max_body = request.max_body;
  for (int redirects = 0;; ++redirects) {
    outcome.response = Response{};
    outcome.response.effective_url = url;
    std::optional<std::string> next;
    try {
      UrlParts parts = parse_url(url);
      exchange(parts, method, headers, current, outcome);
      if (request.follow_redirects && is_redirect(outcome.response.status)) {
        if (auto location = outcome.response.header("location"); location && !location->empty()) {
          next = resolve_location(url, *location);
        }
      }
      if (!next) return outcome;
      if (redirects + 1 > kMaxRedirects) {
        throw TransportError(TransportFailure::kOther,
                             "maximum (" + std::to_string(kMaxRedirects) + ") redirects followed");
      }
      UrlParts to = parse_url(*next);
      if (to.scheme == "http" && !plain_http_allowed(config_, to.authority())) {
        outcome.refused_redirect = *next;
        throw TransportError(
            TransportFailure::kAborted,
            "refused to follow a redirect to plain HTTP (" + redact_url(*next) + ")");
      }
      long status = outcome.response.status;
      if (status == 303 || ((status == 301 || status == 302) && method == "POST")) {
        if (method != "HEAD") method = "GET";
        current.body = std::monostate{};
        std::erase_if(headers, [](const auto& h) {
          std::string n = to_lower(h.first);
          return n == "content-length" || n == "content-type";
        });
      }
      if (to.host != parts.host || to.port != parts.port || to.scheme != parts.scheme) {
        // Credentials meant for one origin never go to another (a registry's redirect to a
        // presigned storage URL, say).
        std::erase_if(headers, [](const auto& h) {
          std::string n = to_lower(h.first);
          return n == "authorization" || n == "cookie";
        });
      }
      url = *next;
      outcome.response.body.clear();
    } catch (const TransportError& e) {
      outcome.failure = e.failure();
      outcome.error = e.what();
      return outcome;
    } catch (const std::exception& e) {
      outcome.failure = TransportFailure::kOther;
      outcome.error = e.what();
      return outcome;
    }
  }
}

std::unique_ptr<Transport> make_transport(TransportConfig config) {
  return std::make_unique<SocketTransport>(std::move(config));
}

}  // namespace mlbox::net
