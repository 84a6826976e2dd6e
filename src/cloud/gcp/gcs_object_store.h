// Cloud Storage as a jobs::ObjectStore (data staging, the trainer's syncs): ADC tokens, the
// JSON API, STORAGE_EMULATOR_HOST honoured.
#pragma once

#include <memory>

#include "config/settings.h"
#include "core/events.h"
#include "jobs/object_store.h"

namespace mlbox::cloud::gcp {

std::unique_ptr<jobs::ObjectStore> make_gcs_object_store(config::EnvGetter env, Observer& observer);

}  // namespace mlbox::cloud::gcp
