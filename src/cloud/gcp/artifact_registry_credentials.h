// Registry credentials for Google's registries (gcr.io, *.gcr.io, *-docker.pkg.dev): user
// `oauth2accesstoken` and an ADC access token, as docker-credential-gcr gives them. Placed in
// the chain after the docker config files, like a credHelpers entry would be.
#pragma once

#include <memory>
#include <string>

#include "cloud/gcp/adc.h"
#include "core/events.h"
#include "registry/credentials.h"

namespace mlbox::cloud::gcp {

// gcr.io, us.gcr.io, eu.gcr.io, asia.gcr.io, us-docker.pkg.dev, europe-west4-docker.pkg.dev,
// with or without a port.
bool is_google_registry(std::string_view host);

class ArtifactRegistryCredentials : public registry::CredentialProvider {
 public:
  // `adc` is created on first use by `make_adc` (so non-Google registries never look for
  // Google credentials).
  ArtifactRegistryCredentials(std::function<std::unique_ptr<AdcCredentials>()> make_adc,
                              Observer& observer);
  // nullopt for other hosts, and (with a warning) when no Google credentials exist at all,
  // so public images still pull anonymously. A configured source that fails throws
  // Error(kAuth).
  std::optional<registry::Credential> for_registry(const std::string& host) override;

 private:
  std::function<std::unique_ptr<AdcCredentials>()> make_adc_;
  std::unique_ptr<AdcCredentials> adc_;
  Observer& observer_;
  std::mutex mutex_;
  bool warned_ = false;
};

}  // namespace mlbox::cloud::gcp
