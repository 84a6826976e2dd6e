// Redaction of what HTTP tracing would otherwise leak: header values (Authorization,
// cookies, tokens, signatures) and secrets inside bodies (token / password JSON fields).
#pragma once

#include <string>
#include <string_view>

namespace mlbox::net {

// "Authorization: Bearer eyJ..." -> "Bearer REDACTED"; Location values lose secret query
// parameters; other secret-looking headers become "REDACTED".
std::string redact_header_value(std::string_view name, std::string_view value);
// JSON fields named like secrets ("token", "access_token", "password", "secret", ...) are
// replaced, whatever the body's shape; the result is cut at `max_chars`.
std::string redact_body(std::string_view body, size_t max_chars = 512);

}  // namespace mlbox::net
