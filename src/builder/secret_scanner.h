// Scans the build context for credentials before anything is written: private keys (PEM,
// OpenSSH, PGP, PuTTY, PKCS#12/JKS), AWS credential files and access-key pairs, GCP
// service-account and user credentials, .env files with secret-looking keys, .netrc,
// .npmrc / .pypirc tokens, kubeconfigs with credentials, docker config.json with auths,
// .git-credentials, and well-known API tokens (GitHub, Hugging Face, Slack, Google, OpenAI).
// Findings never contain the secret itself.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mlbox::builder {

struct SecretFinding {
  std::string path;    // relative to the context root
  std::string kind;    // stable identifier, e.g. "openssh-private-key"
  std::string reason;  // what was seen, without the secret
};

// The kinds the scanner knows, for docs and tests.
const std::vector<std::string>& secret_kinds();

// Findings for one file, from its context-relative path and (the start of) its content.
std::vector<SecretFinding> scan_content(std::string_view path, std::string_view content);

struct SecretScanOptions {
  std::vector<std::string> allow;         // context.allow_secrets (.dockerignore patterns)
  uint64_t max_bytes_per_file = 8 << 20;  // larger files: only their first bytes are read
};

// Scans the files (context-relative paths) under `root`; allowed files are skipped.
std::vector<SecretFinding> scan_for_secrets(const std::filesystem::path& root,
                                            const std::vector<std::string>& files,
                                            const SecretScanOptions& options);

// Throws Error(kConfig) listing every finding and how to allow a file, when there are any.
void refuse_secrets(const std::vector<SecretFinding>& findings);

}  // namespace mlbox::builder
