// Before a job moves anything: does it fit the cloud quota it draws on? The quota comes
// from the price cache (`mlbox machines --refresh` reads AWS Service Quotas and Google's
// region quotas), so the check is as fresh as that refresh; without a cached quota the
// job is not held back (nothing is known).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "catalog/live_prices.h"
#include "catalog/machine_quota.h"
#include "jobs/job_spec.h"

namespace mlbox::jobs {

struct QuotaHeadroom {
  catalog::QuotaNeed need;  // what the job takes (all nodes)
  const catalog::Quota* quota = nullptr;
  double headroom = 0;  // limit - used (limit when usage is unknown)
  bool exceeded() const { return quota && need.amount > headroom; }
  nlohmann::json to_json() const;
};

// nullopt when mlbox knows no quota for the machine; quota null when the cache has none.
std::optional<QuotaHeadroom> quota_headroom(const JobSpec& spec, const std::string& cloud,
                                            const catalog::PriceCache& cache);

// Throws Error(kConfig) naming the quota, the need, the limit and where to raise it when
// the job does not fit.
void refuse_over_quota(const QuotaHeadroom& headroom, const JobSpec& spec,
                       const std::string& fetched_at);

}  // namespace mlbox::jobs
