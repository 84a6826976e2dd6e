// Which target a bare `mlbox submit --region R` means: the cloud that sells R (us-central1
// is Google's, so Vertex AI; us-east-1 is Amazon's, so AWS Batch), provided mlbox.yaml
// configures that target. Otherwise an Error(kConfig) saying what to add to mlbox.yaml.
#pragma once

#include <string>

#include "catalog/machine_catalog.h"

namespace mlbox::jobs {

struct ConfiguredTargets {
  bool vertex = false;  // mlbox.yaml has targets.vertex
  bool batch = false;   // mlbox.yaml has targets.batch
};

// "vertex" or "batch". An unknown region is an error with a did-you-mean over every region
// of both clouds.
std::string target_for_region(const catalog::MachineCatalog& catalog, const std::string& region,
                              const ConfiguredTargets& configured);

}  // namespace mlbox::jobs
