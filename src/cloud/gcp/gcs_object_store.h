// Cloud Storage as the jobs::ObjectStore that data staging and fetch use (scheme "gs").
#pragma once

#include <memory>

#include "config/settings.h"
#include "core/events.h"
#include "jobs/object_store.h"

namespace mlbox::cloud::gcp {

// ADC from the process environment; $STORAGE_EMULATOR_HOST honoured.
std::unique_ptr<jobs::ObjectStore> make_gcs_object_store(const config::Settings& settings,
                                                         Observer& observer);

}  // namespace mlbox::cloud::gcp
