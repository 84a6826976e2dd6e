// `mlbox machines --refresh`: prices, quotas and spot scores from each cloud's own APIs
// (cloud/aws/aws_machine_prices.h, cloud/gcp/gcp_machine_prices.h) into the price cache
// (catalog/live_prices.h). A cloud without credentials or permission keeps what the cache
// (or the embedded table) had, with the reason in `fallbacks`; that is not an error.
#pragma once

#include <string>
#include <vector>

#include "catalog/live_prices.h"
#include "config/settings.h"
#include "core/events.h"

namespace mlbox::backends {

struct PriceRefreshRequest {
  std::string cloud;   // "aws" | "gcp"; empty: both
  std::string region;  // empty: every catalog region (quotas: the configured region)
  // Where quotas are read when no region is given: the configured AWS region, the
  // configured Google project and region (settings of the batch / vertex targets).
  std::string aws_region;
  std::string gcp_project;
  std::string gcp_region;
};

struct PriceRefreshOutcome {
  catalog::PriceCache cache;           // what was saved (or kept)
  std::vector<std::string> refreshed;  // "aws", "gcp"
  // One line per cloud that was not refreshed: "aws: <reason>; showing <what>".
  std::vector<std::string> fallbacks;
  int skipped = 0;  // malformed price documents skipped, all clouds
};

// Throws Error(kConfig) (exit 3) when `region` is no region of the cloud(s), naming the
// closest ones.
PriceRefreshOutcome refresh_machine_prices(const PriceRefreshRequest& request,
                                           const config::EnvGetter& env, Observer& observer);

// The closest names to `region` among `known` (edit distance, at most 3).
std::vector<std::string> closest_regions(const std::string& region,
                                         const std::vector<std::string>& known);

}  // namespace mlbox::backends
