#include "net_socket/http1_exchange.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "net_socket/transport_error.h"
#include "util/strings.h"

namespace mlbox::net {

namespace {

constexpr size_t kChunk = 256 * 1024;

uint64_t parse_number(std::string_view text, int base, const char* what) {
  text = trim(text);
  uint64_t value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || p == text.data()) {
    throw TransportError(TransportFailure::kOther,
                         std::string("bad ") + what + " '" + std::string(text) + "'");
  }
  return value;
}

class FileReader {
 public:
  explicit FileReader(const FileRange& range) : range_(range) {
    fd_ = ::open(range.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      throw TransportError(TransportFailure::kOther,
                           "cannot open " + range.path.string() + ": " + std::strerror(errno));
    }
  }
  ~FileReader() { ::close(fd_); }
  size_t read(char* out, uint64_t done, size_t max) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(max, range_.length - done));
    ssize_t n = ::pread(fd_, out, want, static_cast<off_t>(range_.offset + done));
    if (n <= 0) {
      throw TransportError(
          TransportFailure::kOther,
          "cannot read " + range_.path.string() + ": " +
              (n == 0 ? std::string("file shorter than expected") : std::strerror(errno)));
    }
    return static_cast<size_t>(n);
  }

 private:
  const FileRange& range_;
  int fd_ = -1;
};

}  // namespace

std::string ResponseHead::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

void write_request(SocketConnection& conn, const std::string& method, const std::string& target,
                   const Headers& headers, const Request& request,
                   const std::function<void(uint64_t)>& on_sent) {
  std::string head = method + " " + target + " HTTP/1.1\r\n";
  for (const auto& [k, v] : headers) head += k + ": " + v + "\r\n";
  head += "\r\n";
  if (const auto* s = std::get_if<std::string>(&request.body); s && s->size() <= kChunk) {
    conn.write_all(head + *s);  // one write: small API calls go out in one segment
    if (on_sent) on_sent(s->size());
    return;
  }
  conn.write_all(head);
  if (const auto* s = std::get_if<std::string>(&request.body)) {
    for (size_t done = 0; done < s->size(); done += kChunk) {
      conn.write_all(std::string_view(*s).substr(done, kChunk));
      if (on_sent) on_sent(std::min(s->size(), done + kChunk));
    }
  } else if (const auto* f = std::get_if<FileRange>(&request.body)) {
    FileReader reader(*f);
    std::vector<char> buffer(kChunk);
    for (uint64_t done = 0; done < f->length;) {
      size_t n = reader.read(buffer.data(), done, buffer.size());
      conn.write_all(std::string_view(buffer.data(), n));
      done += n;
      if (on_sent) on_sent(done);
    }
  }
}

ResponseHead read_response_head(SocketConnection& conn) {
  for (;;) {
    ResponseHead head;
    std::string status_line = conn.read_line();
    // "HTTP/1.1 200 OK": a version, one space, exactly three digits, then a space or the end.
    size_t space = status_line.find(' ');
    std::string_view code = space == std::string::npos
                                ? std::string_view()
                                : std::string_view(status_line).substr(space + 1, 4);
    if (!starts_with(status_line, "HTTP/") || code.size() < 3 ||
        !std::all_of(code.begin(), code.begin() + 3, [](char c) { return c >= '0' && c <= '9'; }) ||
        (code.size() == 4 && code[3] != ' ')) {
      throw TransportError(TransportFailure::kOther,
                           "not an HTTP response: '" + status_line.substr(0, 40) + "'");
    }
    head.http11 = !starts_with(status_line, "HTTP/1.0");
    head.status = static_cast<long>(parse_number(code.substr(0, 3), 10, "status"));
    for (;;) {
      std::string line = conn.read_line();
      if (line.empty()) break;
      if (line.front() == ' ' ||
          line.front() == '\t') {  // obsolete folding: continue the last value
        if (!head.headers.empty()) head.headers.back().second += " " + std::string(trim(line));
        continue;
      }
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      head.headers.emplace_back(to_lower(trim(std::string_view(line).substr(0, colon))),
                                std::string(trim(std::string_view(line).substr(colon + 1))));
      if (head.headers.size() > 1000)
        throw TransportError(TransportFailure::kOther, "too many response headers");
    }
    if (head.status >= 100 && head.status < 200 && head.status != 101)
      continue;  // 100 Continue, 103
    return head;
  }
}

bool read_response_body(SocketConnection& conn, const ResponseHead& head, bool head_request,
                        const std::function<bool(const char*, size_t)>& sink) {
  bool keep_alive = head.http11;
  std::string connection = to_lower(head.header("connection"));
  if (connection.find("close") != std::string::npos) keep_alive = false;
  if (!head.http11 && connection.find("keep-alive") != std::string::npos) keep_alive = true;
  if (head_request || head.status == 204 || head.status == 304) return keep_alive;
  std::vector<char> buffer(kChunk);
  if (to_lower(head.header("transfer-encoding")).find("chunked") != std::string::npos) {
    for (;;) {
      std::string size_line = conn.read_line();
      if (auto semi = size_line.find(';'); semi != std::string::npos) size_line.erase(semi);
      uint64_t left = parse_number(size_line, 16, "chunk size");
      if (left == 0) {
        while (!conn.read_line().empty()) {  // trailers
        }
        return keep_alive;
      }
      while (left > 0) {
        size_t n = conn.read_some(buffer.data(),
                                  static_cast<size_t>(std::min<uint64_t>(left, buffer.size())));
        if (n == 0)
          throw TransportError(TransportFailure::kReset, "connection closed inside a chunk");
        left -= n;
        if (!sink(buffer.data(), n)) return false;
      }
      if (!conn.read_line().empty())
        throw TransportError(TransportFailure::kOther, "chunk not followed by CRLF");
    }
  }
  if (std::string length = head.header("content-length"); !length.empty()) {
    uint64_t left = parse_number(length, 10, "Content-Length");
    uint64_t total = left;
    while (left > 0) {
      size_t n = conn.read_some(buffer.data(),
                                static_cast<size_t>(std::min<uint64_t>(left, buffer.size())));
      if (n == 0) {
        throw TransportError(TransportFailure::kReset, "connection closed after " +
                                                           std::to_string(total - left) + " of " +
                                                           std::to_string(total) + " body bytes");
      }
      left -= n;
      if (!sink(buffer.data(), n)) return false;
    }
    return keep_alive;
  }
  // No framing: the body runs to the end of the connection.
  for (;;) {
    size_t n = conn.read_some(buffer.data(), buffer.size());
    if (n == 0) return false;
    if (!sink(buffer.data(), n)) return false;
  }
}

}  // namespace mlbox::net
