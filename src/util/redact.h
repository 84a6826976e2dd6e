// Redaction before anything reaches a log line or a file a user may share.
#pragma once

#include <string>
#include <string_view>

namespace mlbox {

// Drops user-info ("user:pass@") and signed/secret query parameters (X-Amz-Signature,
// X-Amz-Credential, X-Amz-Security-Token, Signature, access_token, token, sig, ...).
std::string redact_url(std::string_view url);

// Environment variable names that hold credentials: ...TOKEN, ...SECRET, ...PASSWORD,
// ...PASSWD, ...API_KEY, ...ACCESS_KEY, ...PRIVATE_KEY, ...CREDENTIALS, ...AUTH (any case,
// as a word of the name: "WANDB_API_KEY", "HF_TOKEN", "DB_PASSWORD"; not "TOKENIZERS_PARALLELISM").
bool is_secret_env_name(std::string_view name);
// The value shown for NAME=value: "REDACTED" for secret names, URLs without credentials else.
std::string redact_env_value(std::string_view name, std::string_view value);

}  // namespace mlbox
