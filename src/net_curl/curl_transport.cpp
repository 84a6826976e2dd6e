#include "net_curl/curl_transport.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "net_curl/curl_handle.h"
#include "util/error.h"
#include "util/redact.h"
#include "util/strings.h"

namespace mlbox::net {

struct CurlTransport::Transfer {
  Request request;
  Outcome outcome;
  std::promise<Outcome> promise;
  CurlEasy easy;
  CurlHeaderList headers;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  // Request body state.
  int fd = -1;
  uint64_t body_sent = 0;
  bool body_overflow = false;
  bool sink_refused = false;
  const TransportConfig* config = nullptr;  // the loop's, for the plain-HTTP rule
  ~Transfer() {
    if (fd >= 0) ::close(fd);
  }
};

namespace {

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<CurlTransport::Transfer*>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (starts_with(line, "HTTP/")) {
    t->outcome.response.headers.clear();  // a new response (after 100-continue or a redirect)
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    t->outcome.response.headers.emplace_back(to_lower(trim(line.substr(0, colon))),
                                             std::string(trim(line.substr(colon + 1))));
  }
  return n;
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<CurlTransport::Transfer*>(user);
  size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(t->easy.get(), CURLINFO_RESPONSE_CODE, &status);
  if (t->request.on_body && status >= 200 && status < 300) {
    bool accepted = false;
    try {
      accepted = t->request.on_body(data, n);
    } catch (...) {
      t->outcome.sink_error = std::current_exception();
    }
    if (!accepted) {
      t->sink_refused = true;
      return 0;
    }
    return n;
  }
  auto& body = t->outcome.response.body;
  if (body.size() + n > t->request.max_body) {
    t->body_overflow = true;
    return 0;
  }
  body.append(data, n);
  return n;
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<CurlTransport::Transfer*>(user);
  size_t want = size * count;
  if (const auto* s = std::get_if<std::string>(&t->request.body)) {
    size_t left = s->size() - static_cast<size_t>(t->body_sent);
    size_t n = std::min(want, left);
    std::memcpy(buffer, s->data() + t->body_sent, n);
    t->body_sent += n;
    return n;
  }
  if (const auto* f = std::get_if<FileRange>(&t->request.body)) {
    uint64_t left = f->length - t->body_sent;
    size_t n = static_cast<size_t>(std::min<uint64_t>(want, left));
    if (n == 0) return 0;
    ssize_t got = ::pread(t->fd, buffer, n, static_cast<off_t>(f->offset + t->body_sent));
    if (got <= 0) return CURL_READFUNC_ABORT;
    t->body_sent += static_cast<uint64_t>(got);
    return static_cast<size_t>(got);
  }
  return 0;
}

// libcurl rewinds the request body when it sends the request again inside one transfer (a
// reused connection the server had closed, a redirect): both body kinds can start over.
int on_seek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<CurlTransport::Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > t->request.body_size()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  t->body_sent = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

int on_progress(void* user, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t ulnow) {
  auto* t = static_cast<CurlTransport::Transfer*>(user);
  if (t->request.on_progress) {
    t->request.on_progress(static_cast<uint64_t>(ulnow), static_cast<uint64_t>(dlnow));
  }
  return 0;
}

TransportFailure classify(CURLcode code) {
  switch (code) {
    case CURLE_OK:
      return TransportFailure::kNone;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return TransportFailure::kResolve;
    case CURLE_COULDNT_CONNECT:
      return TransportFailure::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportFailure::kTimeout;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return TransportFailure::kReset;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
      return TransportFailure::kTls;
    case CURLE_ABORTED_BY_CALLBACK:
      return TransportFailure::kAborted;
    default:
      return TransportFailure::kOther;
  }
}

// Runs before each request goes out, the first and every redirect libcurl follows: a
// redirect to plain HTTP must pass the same rule as the first URL, or nothing is sent.
int on_prereq(void* user, char*, char*, int, int) {
  auto* t = static_cast<CurlTransport::Transfer*>(user);
  char* url = nullptr;
  curl_easy_getinfo(t->easy.get(), CURLINFO_EFFECTIVE_URL, &url);
  std::string current = url ? url : "";
  if (url_scheme(current) == "http" && !plain_http_allowed(*t->config, url_authority(current))) {
    t->outcome.refused_redirect = current;
    return CURL_PREREQFUNC_ABORT;
  }
  return CURL_PREREQFUNC_OK;
}

}  // namespace

CurlTransport::CurlTransport(TransportConfig config) : config_(std::move(config)) {
  multi_ = make_multi().release();
  for (const auto& rule : config_.connect_to) {
    if (curl_slist* list = curl_slist_append(connect_to_, rule.c_str())) connect_to_ = list;
  }
  curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, config_.max_connections);
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, config_.max_connections_per_host);
  thread_ = std::thread([this] { run(); });
}

CurlTransport::~CurlTransport() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  curl_multi_wakeup(multi_);
  thread_.join();
  curl_multi_cleanup(multi_);
  curl_slist_free_all(connect_to_);
}

std::future<Outcome> CurlTransport::submit(Request request) {
  auto t = std::make_unique<Transfer>();
  t->request = std::move(request);
  auto future = t->promise.get_future();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw Error(ErrorKind::kInternal, "transfer submitted after shutdown");
    pending_.push_back(std::move(t));
  }
  curl_multi_wakeup(multi_);
  return future;
}

CurlTransport::Transfer* CurlTransport::start(std::unique_ptr<Transfer> t) {
  const Request& r = t->request;
  try {
    t->easy = make_easy();
  } catch (...) {
    t->promise.set_exception(std::current_exception());
    return nullptr;
  }
  CURL* e = t->easy.get();
  if (const auto* f = std::get_if<FileRange>(&r.body)) {
    t->fd = ::open(f->path.c_str(), O_RDONLY | O_CLOEXEC);
    if (t->fd < 0) {
      t->outcome.failure = TransportFailure::kOther;
      t->outcome.error = "cannot open " + f->path.string() + ": " + std::strerror(errno);
      t->promise.set_value(std::move(t->outcome));
      return nullptr;
    }
  }
  curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error_buffer);
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  curl_easy_setopt(e, CURLOPT_USERAGENT, config_.user_agent.c_str());
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, static_cast<long>(config_.connect_timeout.count()));
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(config_.stall_timeout.count()));
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, r.follow_redirects ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
  t->config = &config_;
  curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
  curl_easy_setopt(e, CURLOPT_PREREQDATA, t.get());
  if (connect_to_) curl_easy_setopt(e, CURLOPT_CONNECT_TO, connect_to_);
  if (!config_.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, config_.ca_file.c_str());
  if (host_listed(config_.insecure_hosts, url_authority(r.url))) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(e, CURLOPT_XFERINFODATA, t.get());

  bool has_body = !std::holds_alternative<std::monostate>(r.body);
  if (r.method == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (r.method == "GET" && !has_body) {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else if (r.method == "PUT" || r.method == "POST" || r.method == "PATCH" || has_body) {
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(e, CURLOPT_READDATA, t.get());
    curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(e, CURLOPT_SEEKDATA, t.get());
    curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(r.body_size()));
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  } else {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
  curl_slist* list = nullptr;
  for (const auto& [k, v] : r.headers) {
    list = curl_slist_append(list, (k + ": " + v).c_str());
  }
  // No 100-continue round trip: registries answer the body directly.
  list = curl_slist_append(list, "Expect:");
  t->headers.reset(list);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);

  if (curl_multi_add_handle(multi_, e) != CURLM_OK) {
    t->outcome.failure = TransportFailure::kOther;
    t->outcome.error = "curl_multi_add_handle failed";
    t->promise.set_value(std::move(t->outcome));
    return nullptr;
  }
  return t.release();  // owned by the multi handle until finish()
}

CurlTransport::Transfer* CurlTransport::finish(void* easy, int code) {
  Transfer* raw = nullptr;
  curl_easy_getinfo(static_cast<CURL*>(easy), CURLINFO_PRIVATE, reinterpret_cast<char**>(&raw));
  std::unique_ptr<Transfer> t(raw);
  curl_multi_remove_handle(multi_, easy);
  auto curl_code = static_cast<CURLcode>(code);
  Outcome& o = t->outcome;
  o.failure = classify(curl_code);
  if (t->body_overflow) {
    o.failure = TransportFailure::kOther;
    o.error = "response body larger than " + std::to_string(t->request.max_body) + " bytes";
  } else if (!o.refused_redirect.empty()) {
    o.failure = TransportFailure::kAborted;
    o.error = "refused to follow a redirect to plain HTTP (" + redact_url(o.refused_redirect) + ")";
  } else if (t->sink_refused) {
    o.failure = TransportFailure::kAborted;
    o.error = o.sink_error ? "the receiver failed" : "the receiver stopped the download";
  } else if (!o.ok()) {
    o.error = t->error_buffer[0] ? t->error_buffer : curl_easy_strerror(curl_code);
  }
  curl_easy_getinfo(t->easy.get(), CURLINFO_RESPONSE_CODE, &o.response.status);
  char* effective = nullptr;
  curl_easy_getinfo(t->easy.get(), CURLINFO_EFFECTIVE_URL, &effective);
  if (effective) o.response.effective_url = effective;
  t->promise.set_value(std::move(o));
  return raw;
}

void CurlTransport::run() {
  std::set<Transfer*> active;
  for (;;) {
    std::deque<std::unique_ptr<Transfer>> incoming;
    bool stop = false;
    {
      std::lock_guard lock(mutex_);
      incoming.swap(pending_);
      stop = stopping_;
    }
    if (stop) {
      for (auto& t : incoming) {
        t->outcome.failure = TransportFailure::kAborted;
        t->outcome.error = "shutting down";
        t->promise.set_value(std::move(t->outcome));
      }
      break;
    }
    for (auto& t : incoming) {
      if (Transfer* started = start(std::move(t))) active.insert(started);
    }
    int running = 0;
    curl_multi_perform(multi_, &running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
      if (msg->msg == CURLMSG_DONE) active.erase(finish(msg->easy_handle, msg->data.result));
    }
    curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
  }
  // Abort whatever is still attached.
  for (Transfer* raw : active) {
    std::unique_ptr<Transfer> t(raw);
    curl_multi_remove_handle(multi_, t->easy.get());
    t->outcome.failure = TransportFailure::kAborted;
    t->outcome.error = "shutting down";
    t->promise.set_value(std::move(t->outcome));
  }
}

std::unique_ptr<Transport> make_transport(TransportConfig config) {
  return std::make_unique<CurlTransport>(std::move(config));
}

}  // namespace mlbox::net
