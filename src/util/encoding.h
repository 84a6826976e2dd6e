// The text encodings HTTP APIs ask for: base64 (Basic auth, docker config "auth", ECR
// tokens, Cloud Storage MD5s), base64url (JWTs), percent-encoding (URL paths, queries and
// form bodies; RFC 3986 unreserved characters kept).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mlbox {

std::string base64_encode(std::string_view data);
// base64url without padding (RFC 7515).
std::string base64url_encode(std::string_view data);
// Standard base64; whitespace ignored, padding optional. nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);
// Every byte but A-Z a-z 0-9 - _ . ~ (and '/' when keep_slash) as %XX, upper-case hex.
std::string percent_encode(std::string_view text, bool keep_slash = false);

}  // namespace mlbox
