// Credential files recognised by name and structure, read whole (they are small): keystores,
// GCP service-account and user credentials, docker config.json auths, .netrc, .npmrc,
// .pypirc, .git-credentials, .s3cfg, .pgpass and kubeconfigs with user credentials.
#pragma once

#include <optional>
#include <string_view>

#include "builder/secret_rules.h"

namespace mlbox::builder::secret_rules {

// Files that hold private keys by design, known from the name alone (.p12, .jks, ...).
std::optional<Hit> keystore_by_name(std::string_view name);

// The credential-file rules over a whole (small) file.
std::optional<Hit> credential_file(const FileTraits& t, std::string_view content);

// Files up to this size get the whole-file rules; larger ones only the streamed rules.
constexpr size_t kCredentialFileMax = 1 << 20;

const std::vector<std::string>& credential_file_kinds();

}  // namespace mlbox::builder::secret_rules
