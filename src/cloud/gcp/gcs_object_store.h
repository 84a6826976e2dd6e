// Cloud Storage as a jobs::ObjectStore (data staging, fetch, the trainer's syncs): ADC
// tokens, the JSON API, STORAGE_EMULATOR_HOST honoured. Listed objects are downloaded with
// their MD5 checked.
#pragma once

#include <memory>

#include "cloud/gcp/gcs_client.h"
#include "config/settings.h"
#include "core/events.h"
#include "jobs/object_store.h"

namespace mlbox::cloud::gcp {

// Over a client someone else owns (a backend's); `gcs` must outlive the store.
std::unique_ptr<jobs::ObjectStore> gcs_object_store(GcsClient& gcs);
// With its own HTTP client and the process's Application Default Credentials.
std::unique_ptr<jobs::ObjectStore> make_gcs_object_store(config::EnvGetter env, Observer& observer);

}  // namespace mlbox::cloud::gcp
