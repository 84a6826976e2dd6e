// gcloud's own configuration, for what mlbox is not told: the active configuration's
// [core] project and [compute] region ($CLOUDSDK_CONFIG or ~/.config/gcloud,
// active_config naming configurations/config_<name>; $CLOUDSDK_ACTIVE_CONFIG_NAME wins).
#pragma once

#include <optional>
#include <string>

#include "config/settings.h"

namespace mlbox::cloud::gcp {

// The value of `key` in `section` of the active gcloud configuration, if set.
std::optional<std::string> gcloud_config_value(const config::EnvGetter& env,
                                               const std::string& section, const std::string& key);

}  // namespace mlbox::cloud::gcp
