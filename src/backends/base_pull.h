// A registry base image for the native builder: pulled into the project's store under the
// internal tag "mlbox-base" (only missing blobs move; a digest already stored and tagged is
// not asked for again); the builder then reads it from there.
#pragma once

#include <filesystem>
#include <string>

#include "backends/registry_connection.h"
#include "core/events.h"
#include "manifest/image_ref.h"

namespace mlbox::backends {

// Returns the local reference "oci:STORE:mlbox-base".
std::string pull_base_image(const std::filesystem::path& store_root,
                            const manifest::RegistryReference& ref, const RegistryOptions& options,
                            const std::string& platform, Observer& observer);

}  // namespace mlbox::backends
