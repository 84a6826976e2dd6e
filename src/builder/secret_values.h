// What the secret scanner decides about a `key: value` pair without knowing where it sits:
// whether the key names a credential, and whether the value is a literal secret rather than
// a placeholder ("changeme", "<token>", "xxxx"), a reference ("${DB_PASSWORD}", "{{ vault }}",
// a path) or a number.
#pragma once

#include <string_view>

namespace mlbox::builder::secret_values {

enum class KeyClass {
  kNone,
  kPassword,  // ...password, ...passwd, ...passphrase, ...pwd, ...pass
  kSecret,    // ...secret, ...api_key, ...secret_key, ...private_key, ...credentials
  kToken,     // ...token (pad_token and friends too: the value decides)
};

// Classifies a key by its last word ("db.password", "WANDB_API_KEY", "clientSecret").
KeyClass classify_key(std::string_view key);
// True for `aws_secret_access_key` in any case and with - or _ separators.
bool is_aws_secret_key_name(std::string_view key);

// Exactly a placeholder: empty, "changeme", "<...>", "xxxx", "your-key-here", "none", ...
// A value merely starting with "change" or "your" is not one.
bool is_placeholder(std::string_view value);
// Points elsewhere instead of holding the secret: ${VAR}, $VAR, {{ x }}, %(x)s, !vault,
// ENC[...], paths, URLs without credentials, ENV_VAR_NAMES.
bool is_reference(std::string_view value);
// Random-looking enough to be a generated credential: letters and digits mixed, or a long
// mixed-case run.
bool looks_random(std::string_view value);
// Spelled like a made-up example: "password1", "test-secret-123", "foo:bar", "mock_token".
bool looks_made_up(std::string_view value);
// Looser, for what follows a vendor prefix (hf_, ghp_): two character classes, ten distinct
// characters, not a placeholder.
bool looks_generated(std::string_view value);

}  // namespace mlbox::builder::secret_values
