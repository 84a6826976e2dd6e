#include "builder/secret_file_rules.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "builder/secret_rule_helpers.h"
#include "builder/secret_values.h"
#include "util/strings.h"

namespace mlbox::builder::secret_rules {

namespace {

using nlohmann::json;

Hit file_hit(std::string kind, std::string reason, uint64_t line = 0, std::string ex = "") {
  Hit h;
  h.rank = kRankFileFormat;
  h.kind = std::move(kind);
  h.reason = std::move(reason);
  h.line = line;
  h.excerpt = std::move(ex);
  return h;
}

// "key = value" lines of an INI-like file, with line numbers.
struct KeyValue {
  std::string key;  // lower-cased
  std::string value;
  uint64_t line = 0;
};

std::vector<KeyValue> key_values(std::string_view content) {
  std::vector<KeyValue> out;
  uint64_t n = 0;
  for (const auto& raw : split(content, '\n')) {
    ++n;
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view v = trim(line.substr(eq + 1));
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
      v = v.substr(1, v.size() - 2);
    }
    out.push_back({to_lower(trim(line.substr(0, eq))), std::string(v), n});
  }
  return out;
}

bool literal(std::string_view v) {
  return !secret_values::is_placeholder(v) && !secret_values::is_reference(v);
}

// The 1-based line of the first occurrence of `needle`.
uint64_t line_of_text(std::string_view content, std::string_view needle) {
  size_t pos = content.find(needle);
  if (pos == std::string_view::npos) return 0;
  return 1 + static_cast<uint64_t>(std::count(content.begin(), content.begin() + pos, '\n'));
}

std::string masked_line(std::string_view key) {
  return fmt::format("{} = ****", key);
}

std::optional<Hit> json_credentials(std::string_view content) {
  size_t first = content.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || content[first] != '{') return std::nullopt;
  json j = json::parse(content, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto str = [&](const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (str("type") == "service_account" && j.contains("private_key")) {
    return file_hit("gcp-service-account",
                    fmt::format("GCP service-account key for {}", str("client_email")), 1,
                    "\"private_key\": \"-----BEGIN PRIVATE KEY-----****\"");
  }
  if (str("type") == "authorized_user" && j.contains("refresh_token")) {
    return file_hit("gcp-user-credentials",
                    "gcloud application-default credentials with a refresh token", 1,
                    "\"refresh_token\": \"****\"");
  }
  if (auto auths = j.find("auths"); auths != j.end() && auths->is_object()) {
    for (const auto& [registry, entry] : auths->items()) {
      if (!entry.is_object()) continue;
      for (const char* k : {"auth", "identitytoken", "password", "registrytoken"}) {
        auto it = entry.find(k);
        if (it != entry.end() && it->is_string() && !it->get<std::string>().empty()) {
          return file_hit("docker-config-auth",
                          fmt::format("docker config with credentials for {}", registry), 1,
                          fmt::format("\"{}\": \"****\"", k));
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Hit> keystore_by_name(std::string_view name) {
  std::string l = to_lower(name);
  for (const char* ext : {".p12", ".pfx", ".jks", ".keystore", ".jceks", ".bcfks"}) {
    if (ends_with(l, ext)) {
      return file_hit("keystore", "PKCS#12 / Java keystore file (holds private keys by design)");
    }
  }
  return std::nullopt;
}

std::optional<Hit> credential_file(const FileTraits& t, std::string_view content) {
  const std::string& name = t.name;
  if (auto h = json_credentials(content)) return h;
  if (name == ".netrc" || name == "_netrc") {
    std::string flat(content);
    std::replace_if(
        flat.begin(), flat.end(),
        [](char c) { return std::isspace(static_cast<unsigned char>(c)); }, ' ');
    std::vector<std::string> toks;
    for (auto& tok : split(flat, ' ')) {
      if (!tok.empty()) toks.push_back(tok);
    }
    for (size_t i = 0; i + 1 < toks.size(); ++i) {
      if ((toks[i] == "password" || toks[i] == "account") && literal(toks[i + 1])) {
        return file_hit("netrc", ".netrc with a password for a machine",
                        line_of_text(content, toks[i + 1]), toks[i] + " ****");
      }
    }
  }
  if (name == ".npmrc") {
    for (const auto& kv : key_values(content)) {
      if ((ends_with(kv.key, "_authtoken") || ends_with(kv.key, "_auth") ||
           ends_with(kv.key, "_password")) &&
          literal(kv.value)) {
        return file_hit("npmrc-token", ".npmrc sets a registry credential", kv.line,
                        masked_line(kv.key));
      }
    }
  }
  if (name == ".pypirc") {
    for (const auto& kv : key_values(content)) {
      if (kv.key == "password" && literal(kv.value)) {
        return file_hit("pypirc-password", ".pypirc sets a password", kv.line, masked_line(kv.key));
      }
    }
  }
  if (name == ".git-credentials") {
    if (content.find("://") != std::string_view::npos &&
        content.find('@') != std::string_view::npos) {
      return file_hit("git-credentials", "git credential store with user:token URLs",
                      line_of_text(content, "@"), "https://user:****@host");
    }
  }
  if (name == ".s3cfg") {
    for (const auto& kv : key_values(content)) {
      if (kv.key == "secret_key" && literal(kv.value)) {
        return file_hit("s3cfg", ".s3cfg sets secret_key", kv.line, masked_line(kv.key));
      }
    }
  }
  if (name == ".pgpass" || name == "pgpass.conf") {
    uint64_t n = 0;
    for (const auto& line : split(content, '\n')) {
      ++n;
      auto fields = split(line, ':');
      if (fields.size() >= 5 && !starts_with(trim(line), "#") && literal(trim(fields[4]))) {
        return file_hit("pgpass", ".pgpass with a database password", n, "host:port:db:user:****");
      }
    }
  }
  // Kubeconfig with credentials.
  if (content.find("kind: Config") != std::string_view::npos &&
      content.find("users:") != std::string_view::npos) {
    uint64_t n = 0;
    for (const auto& raw : split(content, '\n')) {
      ++n;
      std::string_view line = trim(raw);
      for (std::string_view field : {"client-key-data:", "client-key:", "token:", "password:",
                                     "auth-provider:", "id-token:", "refresh-token:"}) {
        if (!starts_with(line, field)) continue;
        std::string_view v = trim(line.substr(field.size()));
        if (field != "auth-provider:" && !literal(v)) continue;
        return file_hit(
            "kubeconfig",
            fmt::format("kubeconfig with user credentials ({})", field.substr(0, field.size() - 1)),
            n, fmt::format("{} ****", field));
      }
    }
  }
  return std::nullopt;
}

const std::vector<std::string>& credential_file_kinds() {
  static const std::vector<std::string> kinds = {"keystore",
                                                 "gcp-service-account",
                                                 "gcp-user-credentials",
                                                 "docker-config-auth",
                                                 "netrc",
                                                 "npmrc-token",
                                                 "pypirc-password",
                                                 "git-credentials",
                                                 "s3cfg",
                                                 "pgpass",
                                                 "kubeconfig"};
  return kinds;
}

}  // namespace mlbox::builder::secret_rules
