// Registry credentials reach the client through this small interface, so the registry
// client knows no cloud: docker-style config files are implemented here; cloud/aws (ECR)
// and cloud/gcp (Artifact Registry) provide their own.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/process.h"

namespace mlbox::registry {

struct Credential {
  std::string username;
  std::string password;
  // An OAuth2 refresh token ("identitytoken" in config.json, or a helper's "<token>" user):
  // exchanged with the OAuth2 POST flow instead of Basic.
  std::string identity_token;
  std::string source;  // where it came from, for messages ("~/.docker/config.json auths")
};

class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  // Credentials for a registry host ("host" or "host:port"), or nullopt (anonymous).
  virtual std::optional<Credential> for_registry(const std::string& host) = 0;
};

// Docker/containers auth files: $REGISTRY_AUTH_FILE, then $DOCKER_CONFIG/config.json or
// ~/.docker/config.json. In each: credHelpers[host], then auths[host] (keys may carry a
// scheme or a /v1/ path), then credsStore. Helpers speak the docker-credential-<name>
// protocol ("get", server on stdin, JSON {Username, Secret} on stdout).
class DockerConfigCredentials : public CredentialProvider {
 public:
  explicit DockerConfigCredentials(CommandRunner* runner = nullptr);
  // Explicit files instead of the environment's (for tests).
  DockerConfigCredentials(std::vector<std::filesystem::path> files, CommandRunner* runner);
  std::optional<Credential> for_registry(const std::string& host) override;

  // The files consulted, in order, from the environment.
  static std::vector<std::filesystem::path> default_files();

 private:
  std::optional<Credential> from_file(const std::filesystem::path& file, const std::string& host);
  std::optional<Credential> from_helper(const std::string& helper, const std::string& host);
  std::vector<std::filesystem::path> files_;
  CommandRunner* runner_;
  SystemCommandRunner system_runner_;
};

// The first provider that knows the host wins.
class ChainedCredentials : public CredentialProvider {
 public:
  void add(std::shared_ptr<CredentialProvider> provider) { providers_.push_back(provider); }
  std::optional<Credential> for_registry(const std::string& host) override;

 private:
  std::vector<std::shared_ptr<CredentialProvider>> providers_;
};

// Normalises an auths key ("https://host:5000/v1/", "host") to "host:5000" / "host".
std::string auth_key_host(const std::string& key);

}  // namespace mlbox::registry
