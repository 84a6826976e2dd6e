#include "builder/secret_scanner.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <future>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "builder/ignore_patterns.h"
#include "image/compressor.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/task_pool.h"

namespace mlbox::builder {

namespace {

using nlohmann::json;

std::string base_name(std::string_view path) {
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

bool is_base64_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// After a PEM "BEGIN" line: is there a key body (not just the marker quoted in code)?
bool pem_body_follows(std::string_view content, size_t pos) {
  size_t i = pos;
  size_t body = 0;
  while (i < content.size() && body < 24) {
    char c = content[i];
    if (c == '\r' || c == '\n' || c == ' ' || c == '\t') {
      ++i;
    } else if (c == '\\' && i + 1 < content.size() && content[i + 1] == 'n') {
      i += 2;  // "\n" escaped inside JSON or a string literal
    } else if (is_base64_char(c)) {
      ++body;
      ++i;
    } else if (content.substr(i, 10) == "Proc-Type:") {
      return true;  // legacy encrypted PEM
    } else {
      return false;
    }
  }
  return body >= 24;
}

struct PemKind {
  const char* marker;
  const char* kind;
  const char* reason;
};

const PemKind kPemKinds[] = {
    {"-----BEGIN OPENSSH PRIVATE KEY-----", "openssh-private-key", "OpenSSH private key"},
    {"-----BEGIN PGP PRIVATE KEY BLOCK-----", "pgp-private-key", "PGP private key block"},
    {"-----BEGIN RSA PRIVATE KEY-----", "private-key", "PEM RSA private key"},
    {"-----BEGIN EC PRIVATE KEY-----", "private-key", "PEM EC private key"},
    {"-----BEGIN DSA PRIVATE KEY-----", "private-key", "PEM DSA private key"},
    {"-----BEGIN ENCRYPTED PRIVATE KEY-----", "private-key", "PEM encrypted PKCS#8 private key"},
    {"-----BEGIN PRIVATE KEY-----", "private-key", "PEM PKCS#8 private key"},
};

std::optional<SecretFinding> find_pem(std::string_view path, std::string_view content) {
  for (const auto& k : kPemKinds) {
    for (size_t pos = content.find(k.marker); pos != std::string_view::npos;
         pos = content.find(k.marker, pos + 1)) {
      if (pem_body_follows(content, pos + std::strlen(k.marker))) {
        return SecretFinding{std::string(path), k.kind,
                             std::string(k.reason) + " (" + std::string(k.marker) + ")"};
      }
    }
  }
  if (starts_with(content, "PuTTY-User-Key-File-") &&
      content.find("Private-Lines:") != std::string_view::npos) {
    return SecretFinding{std::string(path), "putty-private-key",
                         "PuTTY private key file (PuTTY-User-Key-File with Private-Lines)"};
  }
  return std::nullopt;
}

// Lines as "key = value" (ini, .env, yaml-ish), lower-cased key.
struct KeyValue {
  std::string key;  // lower-cased
  std::string raw_key;
  std::string value;
  int line = 0;
};

std::vector<KeyValue> key_values(std::string_view content, char sep) {
  std::vector<KeyValue> out;
  int n = 0;
  for (const auto& raw : split(content, '\n')) {
    ++n;
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (starts_with(line, "export ")) line = trim(line.substr(7));
    auto eq = line.find(sep);
    if (eq == std::string_view::npos) continue;
    KeyValue kv;
    kv.raw_key = std::string(trim(line.substr(0, eq)));
    kv.key = to_lower(kv.raw_key);
    std::string_view v = trim(line.substr(eq + 1));
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
      v = v.substr(1, v.size() - 2);
    }
    kv.value = std::string(v);
    kv.line = n;
    out.push_back(std::move(kv));
  }
  return out;
}

bool looks_like_placeholder(std::string_view v) {
  if (v.empty()) return true;
  std::string l = to_lower(v);
  if (l.front() == '<' || l.front() == '$' || l.front() == '{') return true;
  if (starts_with(l, "your") || starts_with(l, "change") || l == "none" || l == "null" ||
      l == "false" || l == "true" || l == "todo" || l == "example" || l == "placeholder") {
    return true;
  }
  return std::all_of(l.begin(), l.end(), [](char c) { return c == 'x' || c == '*' || c == '.'; });
}

bool secret_looking_key(const std::string& key) {
  static const char* words[] = {"secret", "token",      "password",    "passwd",    "api_key",
                                "apikey", "access_key", "private_key", "credential"};
  for (const char* w : words) {
    if (key.find(w) != std::string::npos) return true;
  }
  return false;
}

bool is_dotenv_name(const std::string& name) {
  if (name == ".env" || ends_with(name, ".env")) return true;
  if (!starts_with(name, ".env.")) return false;
  for (const char* tmpl : {".example", ".sample", ".template", ".dist", ".defaults"}) {
    if (ends_with(name, tmpl)) return false;
  }
  return true;
}

std::optional<SecretFinding> find_dotenv(std::string_view path, const std::string& name,
                                         std::string_view content) {
  if (!is_dotenv_name(name)) return std::nullopt;
  for (const auto& kv : key_values(content, '=')) {
    if (secret_looking_key(kv.key) && !looks_like_placeholder(kv.value)) {
      return SecretFinding{std::string(path), "dotenv-secret",
                           fmt::format(".env file sets {} on line {}", kv.raw_key, kv.line)};
    }
  }
  return std::nullopt;
}

std::optional<SecretFinding> find_config_files(std::string_view path, const std::string& name,
                                               std::string_view content) {
  std::string p(path);
  auto kvs_eq = [&] { return key_values(content, '='); };
  if (name == ".netrc" || name == "_netrc") {
    // Tokens are whitespace separated: "machine h login u password p".
    std::string flat(content);
    std::replace_if(
        flat.begin(), flat.end(),
        [](char c) { return std::isspace(static_cast<unsigned char>(c)); }, ' ');
    std::vector<std::string> toks;
    for (auto& t : split(flat, ' ')) {
      if (!t.empty()) toks.push_back(t);
    }
    for (size_t i = 0; i + 1 < toks.size(); ++i) {
      if (toks[i] == "password" || toks[i] == "account") {
        return SecretFinding{p, "netrc", ".netrc with a password for a machine"};
      }
    }
  }
  if (name == ".npmrc") {
    for (const auto& kv : kvs_eq()) {
      if ((ends_with(kv.key, "_authtoken") || ends_with(kv.key, "_auth") ||
           ends_with(kv.key, "_password")) &&
          !looks_like_placeholder(kv.value)) {
        return SecretFinding{p, "npmrc-token",
                             fmt::format(".npmrc sets a registry credential on line {}", kv.line)};
      }
    }
  }
  if (name == ".pypirc") {
    for (const auto& kv : kvs_eq()) {
      if (kv.key == "password" && !looks_like_placeholder(kv.value)) {
        return SecretFinding{p, "pypirc-password",
                             fmt::format(".pypirc sets a password on line {}", kv.line)};
      }
    }
  }
  if (name == ".git-credentials") {
    if (content.find("://") != std::string_view::npos &&
        content.find('@') != std::string_view::npos) {
      return SecretFinding{p, "git-credentials", "git credential store with user:token URLs"};
    }
  }
  if (name == ".s3cfg") {
    for (const auto& kv : kvs_eq()) {
      if (kv.key == "secret_key" && !looks_like_placeholder(kv.value)) {
        return SecretFinding{p, "s3cfg", fmt::format(".s3cfg sets secret_key on line {}", kv.line)};
      }
    }
  }
  // AWS shared credentials / config files, wherever they sit.
  for (const auto& kv : kvs_eq()) {
    if (kv.key == "aws_secret_access_key" && kv.value.size() >= 16 &&
        !looks_like_placeholder(kv.value)) {
      return SecretFinding{
          p, "aws-credentials",
          fmt::format("AWS credentials file: aws_secret_access_key on line {}", kv.line)};
    }
  }
  // Kubeconfig with credentials.
  if (content.find("kind: Config") != std::string_view::npos &&
      content.find("users:") != std::string_view::npos) {
    for (const char* field : {"client-key-data:", "client-key:", "token:", "password:",
                              "auth-provider:", "id-token:"}) {
      if (content.find(field) != std::string_view::npos) {
        return SecretFinding{p, "kubeconfig",
                             fmt::format("kubeconfig with user credentials ({})",
                                         std::string_view(field, std::strlen(field) - 1))};
      }
    }
  }
  return std::nullopt;
}

std::optional<SecretFinding> find_json_credentials(std::string_view path,
                                                   std::string_view content) {
  std::string_view t = trim(content.substr(0, 16));
  if (t.empty() || t.front() != '{') return std::nullopt;
  json j = json::parse(content, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  std::string p(path);
  auto str = [&](const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (str("type") == "service_account" && j.contains("private_key")) {
    return SecretFinding{p, "gcp-service-account",
                         fmt::format("GCP service-account key for {}", str("client_email"))};
  }
  if (str("type") == "authorized_user" && j.contains("refresh_token")) {
    return SecretFinding{p, "gcp-user-credentials",
                         "gcloud application-default credentials with a refresh token"};
  }
  if (auto auths = j.find("auths"); auths != j.end() && auths->is_object()) {
    for (const auto& [registry, entry] : auths->items()) {
      if (!entry.is_object()) continue;
      for (const char* k : {"auth", "identitytoken", "password", "registrytoken"}) {
        auto it = entry.find(k);
        if (it != entry.end() && it->is_string() && !it->get<std::string>().empty()) {
          return SecretFinding{p, "docker-config-auth",
                               fmt::format("docker config with credentials for {}", registry)};
        }
      }
    }
  }
  return std::nullopt;
}

// Finds `prefix` followed by at least `min_len` characters accepted by `ok`, starting at a
// token boundary. Returns the position or npos.
size_t find_token(std::string_view content, std::string_view prefix, size_t min_len,
                  bool (*ok)(char), size_t from = 0) {
  for (size_t pos = content.find(prefix, from); pos != std::string_view::npos;
       pos = content.find(prefix, pos + 1)) {
    if (pos > 0 && is_token_char(content[pos - 1])) continue;
    size_t i = pos + prefix.size();
    size_t n = 0;
    while (i + n < content.size() && ok(content[i + n])) ++n;
    if (n >= min_len) return pos;
  }
  return std::string_view::npos;
}

bool alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool upper_alnum(char c) {
  return std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c));
}
bool token_char(char c) {
  return is_token_char(c);
}
bool slack_char(char c) {
  return alnum(c) || c == '-';
}

// A 40-character AWS secret key: base64 alphabet, bounded by non-base64 characters, mixed.
bool has_aws_secret_key(std::string_view content) {
  size_t i = 0;
  while (i < content.size()) {
    if (!is_base64_char(content[i]) || content[i] == '=') {
      ++i;
      continue;
    }
    size_t j = i;
    bool lower = false, upper = false, digit = false;
    while (j < content.size() && is_base64_char(content[j]) && content[j] != '=') {
      char c = content[j];
      lower |= std::islower(static_cast<unsigned char>(c)) != 0;
      upper |= std::isupper(static_cast<unsigned char>(c)) != 0;
      digit |= std::isdigit(static_cast<unsigned char>(c)) != 0;
      ++j;
    }
    if (j - i == 40 && lower && upper &&
        (digit || content.substr(i, j - i).find('/') != std::string_view::npos)) {
      return true;
    }
    i = j;
  }
  return false;
}

std::optional<SecretFinding> find_tokens(std::string_view path, std::string_view content) {
  std::string p(path);
  for (const char* prefix : {"AKIA", "ASIA", "ABIA", "ACCA"}) {
    size_t pos = find_token(content, prefix, 16, upper_alnum);
    if (pos != std::string_view::npos && has_aws_secret_key(content)) {
      return SecretFinding{
          p, "aws-access-key",
          fmt::format("AWS access key pair ({}**************** with a 40-character "
                      "secret key)",
                      content.substr(pos, 4))};
    }
  }
  for (const char* prefix : {"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}) {
    if (find_token(content, prefix, 36, alnum) != std::string_view::npos) {
      return SecretFinding{p, "github-token", fmt::format("GitHub token ({}...)", prefix)};
    }
  }
  if (find_token(content, "github_pat_", 60, token_char) != std::string_view::npos) {
    return SecretFinding{p, "github-token", "GitHub fine-grained token (github_pat_...)"};
  }
  if (find_token(content, "hf_", 34, alnum) != std::string_view::npos) {
    return SecretFinding{p, "huggingface-token", "Hugging Face access token (hf_...)"};
  }
  for (const char* prefix : {"xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxo-"}) {
    if (find_token(content, prefix, 20, slack_char) != std::string_view::npos) {
      return SecretFinding{p, "slack-token", fmt::format("Slack token ({}...)", prefix)};
    }
  }
  if (find_token(content, "AIza", 35, token_char) != std::string_view::npos) {
    return SecretFinding{p, "google-api-key", "Google API key (AIza...)"};
  }
  if (find_token(content, "sk-proj-", 40, token_char) != std::string_view::npos ||
      content.find("T3BlbkFJ") != std::string_view::npos) {
    return SecretFinding{p, "openai-api-key", "OpenAI API key (sk-...)"};
  }
  return std::nullopt;
}

bool is_binary(std::string_view content) {
  return content.substr(0, 8192).find('\0') != std::string_view::npos;
}

}  // namespace

const std::vector<std::string>& secret_kinds() {
  static const std::vector<std::string> kinds = {"private-key",
                                                 "openssh-private-key",
                                                 "pgp-private-key",
                                                 "putty-private-key",
                                                 "keystore",
                                                 "aws-credentials",
                                                 "aws-access-key",
                                                 "s3cfg",
                                                 "gcp-service-account",
                                                 "gcp-user-credentials",
                                                 "dotenv-secret",
                                                 "netrc",
                                                 "npmrc-token",
                                                 "pypirc-password",
                                                 "kubeconfig",
                                                 "docker-config-auth",
                                                 "git-credentials",
                                                 "github-token",
                                                 "huggingface-token",
                                                 "slack-token",
                                                 "google-api-key",
                                                 "openai-api-key"};
  return kinds;
}

std::vector<SecretFinding> scan_content(std::string_view path, std::string_view content) {
  std::string name = base_name(path);
  std::string lname = to_lower(name);
  for (const char* ext : {".p12", ".pfx", ".jks", ".keystore"}) {
    if (ends_with(lname, ext)) {
      return {{std::string(path), "keystore",
               "PKCS#12 / Java keystore file (holds private keys by design)"}};
    }
  }
  if (is_binary(content)) return {};
  // Most specific first: a service-account JSON also holds a PEM key.
  if (auto f = find_json_credentials(path, content)) return {*f};
  if (auto f = find_pem(path, content)) return {*f};
  if (auto f = find_dotenv(path, name, content)) return {*f};
  if (auto f = find_config_files(path, name, content)) return {*f};
  if (auto f = find_tokens(path, content)) return {*f};
  return {};
}

namespace {

// Reads up to options.max_bytes_per_file of one file into `buf` and scans it.
std::vector<SecretFinding> scan_file(const std::filesystem::path& root, const std::string& rel,
                                     const SecretScanOptions& options, std::string& buf) {
  std::filesystem::path full = root / rel;
  int fd = ::open(full.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ELOOP) return {};  // a symlink: its target is scanned where it lives
    throw Error(ErrorKind::kConfig, fmt::format("{}: cannot read for the secret scan: {}",
                                                full.string(), std::strerror(errno)));
  }
  buf.resize(options.max_bytes_per_file);
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  return scan_content(rel, std::string_view(buf.data(), got));
}

}  // namespace

std::vector<SecretFinding> scan_for_secrets(const std::filesystem::path& root,
                                            const std::vector<std::string>& files,
                                            const SecretScanOptions& options) {
  IgnorePatterns allow;
  for (size_t i = 0; i < options.allow.size(); ++i) {
    allow.add(options.allow[i], fmt::format("mlbox.yaml: context.allow_secrets[{}]", i));
  }
  std::vector<std::string> todo;
  for (const auto& rel : files) {
    if (!allow.matches(rel)) todo.push_back(rel);
  }
  // Files are independent: one slice per core, findings merged in listing order.
  unsigned threads = std::min<unsigned>(image::default_thread_count(),
                                        static_cast<unsigned>(todo.size() / 16 + 1));
  auto scan_slice = [&](size_t begin, size_t end) {
    std::vector<SecretFinding> found;
    std::string buf;
    for (size_t i = begin; i < end; ++i) {
      for (auto& f : scan_file(root, todo[i], options, buf)) found.push_back(std::move(f));
    }
    return found;
  };
  if (threads <= 1) return scan_slice(0, todo.size());
  // Interleaved slices would balance better, but contiguous ones keep the order trivially;
  // many small slices give the balance instead.
  const size_t slices = threads * 8;
  TaskPool pool(threads);
  std::vector<std::future<std::vector<SecretFinding>>> parts;
  for (size_t k = 0; k < slices; ++k) {
    size_t begin = todo.size() * k / slices, end = todo.size() * (k + 1) / slices;
    parts.push_back(pool.submit([&scan_slice, begin, end] { return scan_slice(begin, end); }));
  }
  std::vector<SecretFinding> findings;
  for (auto& part : parts) {
    for (auto& f : part.get()) findings.push_back(std::move(f));
  }
  return findings;
}

void refuse_secrets(const std::vector<SecretFinding>& findings) {
  if (findings.empty()) return;
  std::string msg = fmt::format(
      "the build context holds {} file{} with secrets; refusing to build:", findings.size(),
      findings.size() == 1 ? "" : "s");
  for (const auto& f : findings) msg += fmt::format("\n  {}: {} ({})", f.path, f.reason, f.kind);
  throw Error(ErrorKind::kConfig, msg,
              "move the files out of the project, exclude them (.mlboxignore or "
              "context.exclude), or, if they must ship, list them in context.allow_secrets");
}

}  // namespace mlbox::builder
