// The registry credential chain push, pull and build use: docker/containers auth files
// first (their credHelpers may name any helper), then the clouds' own providers
// (Google Artifact Registry / GCR through ADC).
#pragma once

#include <memory>

#include "core/events.h"
#include "net/transport_config.h"
#include "registry/credentials.h"

namespace mlbox::cli {

// `observer` must be thread-safe (a LockedObserver) and outlive the provider.
std::shared_ptr<registry::CredentialProvider> make_registry_credentials(
    const net::TransportConfig& transport, Observer& observer);

}  // namespace mlbox::cli
