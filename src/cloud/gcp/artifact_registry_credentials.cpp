#include "cloud/gcp/artifact_registry_credentials.h"

#include <fmt/format.h>

#include "util/strings.h"

namespace mlbox::cloud::gcp {

bool is_google_registry(std::string_view host) {
  std::string h = to_lower(host);
  if (auto colon = h.rfind(':'); colon != std::string::npos && h.find(']') == std::string::npos) {
    h.resize(colon);
  }
  return h == "gcr.io" || ends_with(h, ".gcr.io") || ends_with(h, "-docker.pkg.dev");
}

ArtifactRegistryCredentials::ArtifactRegistryCredentials(
    std::function<std::unique_ptr<AdcCredentials>()> make_adc, Observer& observer)
    : make_adc_(std::move(make_adc)), observer_(observer) {}

std::optional<registry::Credential> ArtifactRegistryCredentials::for_registry(
    const std::string& host) {
  if (!is_google_registry(host)) return std::nullopt;
  std::lock_guard lock(mutex_);
  if (!adc_) adc_ = make_adc_();
  if (!adc_->available()) {
    if (!warned_) {
      observer_.warn(fmt::format("no Google credentials for {} ({}); trying anonymously — {}", host,
                                 adc_->not_found_reason(), kAdcHint));
      warned_ = true;
    }
    return std::nullopt;
  }
  registry::Credential c;
  c.username = "oauth2accesstoken";
  c.password = adc_->access_token();
  c.source = "Google Application Default Credentials: " + adc_->source().describe();
  observer_.debug(fmt::format("{}: using {}", host, c.source));
  return c;
}

}  // namespace mlbox::cloud::gcp
