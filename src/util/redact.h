// Redaction before anything reaches a log line or a file a user may share.
#pragma once

#include <string>
#include <string_view>

namespace mlbox {

// Drops user-info ("user:pass@") and signed/secret query parameters (X-Amz-Signature,
// X-Amz-Credential, X-Amz-Security-Token, Signature, access_token, token, sig, ...).
std::string redact_url(std::string_view url);

}  // namespace mlbox
