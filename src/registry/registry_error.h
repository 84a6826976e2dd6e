// Errors from registry exchanges: they name the redacted URL, the HTTP status, the
// registry's error code from its JSON body ({"errors":[{"code":"BLOB_UNKNOWN",...}]}),
// and say what to do.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "net/http_types.h"
#include "util/error.h"

namespace mlbox::registry {

struct RegistryErrorBody {
  std::string code;     // "MANIFEST_INVALID"
  std::string message;  // "manifest invalid"
  std::string detail;   // the detail field, flattened to text (may be empty)
};

std::optional<RegistryErrorBody> parse_error_body(std::string_view body);
// " MANIFEST_INVALID: manifest invalid" or "" (for messages).
std::string error_code_suffix(std::string_view body);

// An HTTP answer that the caller cannot accept: kAuth for 401/403, kRemote otherwise.
Error http_error(const net::Request& request, const net::Outcome& outcome, std::string_view doing);
// No HTTP answer at all: kNetwork.
Error transport_error(const net::Request& request, const net::Outcome& outcome,
                      std::string_view doing);
// Either of the above.
Error request_error(const net::Request& request, const net::Outcome& outcome,
                    std::string_view doing);

}  // namespace mlbox::registry
