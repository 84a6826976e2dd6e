#include "net/http_types.h"

#include "util/strings.h"

namespace mlbox::net {

uint64_t Request::body_size() const {
  if (const auto* s = std::get_if<std::string>(&body)) return s->size();
  if (const auto* f = std::get_if<FileRange>(&body)) return f->length;
  return 0;
}

std::optional<std::string> Response::header(std::string_view name) const {
  std::string want = to_lower(name);
  for (const auto& [k, v] : headers) {
    if (k == want) return v;
  }
  return std::nullopt;
}

const char* failure_name(TransportFailure failure) {
  switch (failure) {
    case TransportFailure::kNone:
      return "none";
    case TransportFailure::kResolve:
      return "host not found";
    case TransportFailure::kConnect:
      return "connection failed";
    case TransportFailure::kReset:
      return "connection reset";
    case TransportFailure::kTimeout:
      return "timed out";
    case TransportFailure::kTls:
      return "TLS failure";
    case TransportFailure::kAborted:
      return "aborted";
    case TransportFailure::kOther:
      return "transfer failed";
  }
  return "transfer failed";
}

}  // namespace mlbox::net
