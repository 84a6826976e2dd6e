// Scans the build context for credentials before anything is written. Every byte of every
// file is read (streamed in bounded memory, past NUL bytes, binaries included), and archives
// in the context (tar, tar.gz, zip, ...) are looked into. Rules: private keys of every PEM
// kind, OpenSSH, PGP, SSH2, PuTTY, keystores; cloud and API tokens by their formats (AWS key
// pairs, GitHub, GitLab, Slack tokens and webhooks, Stripe, Google, OpenAI, Anthropic,
// Hugging Face, npm, PyPI, Azure storage keys and SAS, ...); credential files (GCP
// service-account and user credentials, docker config.json auths, .netrc, .npmrc, .pypirc,
// .git-credentials, .s3cfg, .pgpass, kubeconfigs); Kubernetes Secret data; `key: value` and
// `key=value` pairs whose key names a password, secret, token or API key and whose value is
// a literal (not a placeholder or a reference); URLs with passwords; JWTs and bearer tokens.
// Findings name the file, archive member and line, and show a redacted excerpt: never the
// secret itself.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mlbox::builder {

struct SecretFinding {
  std::string path;     // relative to the context root
  std::string member;   // inside an archive: "dir/key.pem", nested ones joined by "!/"
  uint64_t line = 0;    // 1-based, 0 when the whole file is the finding (a keystore)
  std::string kind;     // stable identifier, e.g. "openssh-private-key"
  std::string reason;   // what was seen, without the secret
  std::string excerpt;  // the line around it with the secret replaced by ****
  size_t more = 0;      // further hits in the same file or member
};

// The kinds the scanner knows, for docs and tests.
const std::vector<std::string>& secret_kinds();
// Changes whenever the rules do; part of the scan cache's key.
std::string secret_rules_version();

// Findings for one file from its context-relative path and whole content (archives in it
// included).
std::vector<SecretFinding> scan_content(std::string_view path, std::string_view content);

struct SecretScanOptions {
  std::vector<std::string> allow;  // context.allow_secrets (.dockerignore patterns)
  int archive_depth = 2;           // nested archives looked into below the file itself
  uint64_t archive_max_entries = 100000;
  uint64_t archive_min_expanded = uint64_t{256} << 20;  // expanded bytes always scanned
  uint64_t archive_max_ratio = 50;  // and up to this many times the archive's size
};

struct SecretScanReport {
  std::vector<SecretFinding> findings;
  // Archives not scanned to the end (a limit, damage): "path: why". Not findings.
  std::vector<std::string> incomplete;
};

// Scans the files (context-relative paths) under `root` on all cores; allowed files are
// skipped. Findings come in the order of `files`.
SecretScanReport scan_context_for_secrets(const std::filesystem::path& root,
                                          const std::vector<std::string>& files,
                                          const SecretScanOptions& options);
std::vector<SecretFinding> scan_for_secrets(const std::filesystem::path& root,
                                            const std::vector<std::string>& files,
                                            const SecretScanOptions& options);

// Throws Error(kConfig) listing every finding and how to allow a file, when there are any.
void refuse_secrets(const std::vector<SecretFinding>& findings);

}  // namespace mlbox::builder
