#include "registry/credentials.h"

#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/encoding.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace mlbox::registry {

namespace {

// Docker Hub is stored under its v1 URL.
bool same_registry(const std::string& key_host, const std::string& host) {
  if (key_host == host) return true;
  auto hub = [](const std::string& h) {
    return h == "docker.io" || h == "index.docker.io" || h == "registry-1.docker.io";
  };
  return hub(key_host) && hub(host);
}

}  // namespace

std::string auth_key_host(const std::string& key) {
  std::string k = to_lower(trim(key));
  if (auto p = k.find("://"); p != std::string::npos) k.erase(0, p + 3);
  if (auto slash = k.find('/'); slash != std::string::npos) k.resize(slash);
  return k;
}

DockerConfigCredentials::DockerConfigCredentials(CommandRunner* runner)
    : DockerConfigCredentials(default_files(), runner) {}

DockerConfigCredentials::DockerConfigCredentials(std::vector<std::filesystem::path> files,
                                                 CommandRunner* runner)
    : files_(std::move(files)), runner_(runner ? runner : &system_runner_) {}

std::vector<std::filesystem::path> DockerConfigCredentials::default_files() {
  std::vector<std::filesystem::path> files;
  if (const char* f = std::getenv("REGISTRY_AUTH_FILE"); f && *f) files.emplace_back(f);
  if (const char* d = std::getenv("DOCKER_CONFIG"); d && *d) {
    files.push_back(std::filesystem::path(d) / "config.json");
  } else {
    files.push_back(fs::home_dir() / ".docker" / "config.json");
  }
  return files;
}

std::optional<Credential> DockerConfigCredentials::for_registry(const std::string& host) {
  std::string h = to_lower(host);
  for (const auto& file : files_) {
    if (auto c = from_file(file, h)) return c;
  }
  return std::nullopt;
}

std::optional<Credential> DockerConfigCredentials::from_file(const std::filesystem::path& file,
                                                             const std::string& host) {
  std::string text;
  if (!fs::read_file_if_exists(file, text)) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: not valid JSON", file.string()),
                "fix or remove the file (docker login / podman login write it)");
  }
  if (auto helpers = j.find("credHelpers"); helpers != j.end() && helpers->is_object()) {
    for (auto it = helpers->begin(); it != helpers->end(); ++it) {
      if (same_registry(auth_key_host(it.key()), host) && it.value().is_string()) {
        return from_helper(it.value().get<std::string>(), host);
      }
    }
  }
  if (auto auths = j.find("auths"); auths != j.end() && auths->is_object()) {
    for (auto it = auths->begin(); it != auths->end(); ++it) {
      if (!same_registry(auth_key_host(it.key()), host) || !it.value().is_object()) continue;
      const auto& entry = it.value();
      Credential c;
      c.source = fmt::format("{} (auths.\"{}\")", file.string(), it.key());
      if (entry.contains("identitytoken") && entry["identitytoken"].is_string()) {
        c.identity_token = entry["identitytoken"].get<std::string>();
      }
      if (entry.contains("auth") && entry["auth"].is_string()) {
        auto decoded = base64_decode(entry["auth"].get<std::string>());
        auto colon = decoded ? decoded->find(':') : std::string::npos;
        if (!decoded || colon == std::string::npos) {
          throw Error(ErrorKind::kConfig,
                      fmt::format("{}: auths.\"{}\".auth is not base64 of user:password",
                                  file.string(), it.key()),
                      "log in again (docker login / podman login)");
        }
        c.username = decoded->substr(0, colon);
        c.password = decoded->substr(colon + 1);
      } else {
        if (entry.contains("username")) c.username = entry.value("username", "");
        if (entry.contains("password")) c.password = entry.value("password", "");
      }
      if (!c.username.empty() || !c.identity_token.empty()) return c;
    }
  }
  if (auto store = j.find("credsStore"); store != j.end() && store->is_string()) {
    return from_helper(store->get<std::string>(), host);
  }
  return std::nullopt;
}

std::optional<Credential> DockerConfigCredentials::from_helper(const std::string& helper,
                                                               const std::string& host) {
  std::string program = "docker-credential-" + helper;
  if (fs::which(program).empty()) {
    throw Error(ErrorKind::kAuth,
                fmt::format("credential helper {} (for {}) is not on PATH", program, host),
                "install it, or remove it from credHelpers/credsStore in your docker config");
  }
  ProcessOptions opts;
  opts.stdin_data = host;
  opts.timeout = std::chrono::seconds(60);
  ProcessResult r = runner_->run({program, "get"}, opts);
  if (!r.ok()) {
    std::string out = to_lower(r.out + r.err);
    if (out.find("credentials not found") != std::string::npos) return std::nullopt;
    // The helper's output may hold secrets; report only that it failed.
    throw Error(
        ErrorKind::kAuth,
        fmt::format("credential helper {} failed for {} (exit {})", program, host, r.exit_code),
        fmt::format("run 'echo {} | {} get' to see why", host, program));
  }
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw Error(ErrorKind::kAuth,
                fmt::format("credential helper {} printed something that is not JSON", program),
                "check the helper with: echo " + host + " | " + program + " get");
  }
  Credential c;
  c.source = "credential helper " + program;
  std::string user = j.value("Username", "");
  std::string secret = j.value("Secret", "");
  if (user == "<token>") {
    c.identity_token = secret;
  } else {
    c.username = user;
    c.password = secret;
  }
  if (c.username.empty() && c.identity_token.empty()) return std::nullopt;
  return c;
}

std::optional<Credential> ChainedCredentials::for_registry(const std::string& host) {
  for (auto& p : providers_) {
    if (auto c = p->for_registry(host)) return c;
  }
  return std::nullopt;
}

}  // namespace mlbox::registry
