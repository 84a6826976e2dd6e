#include "jobs/quota_check.h"

#include <algorithm>

#include <fmt/format.h>

#include "util/error.h"

namespace mlbox::jobs {

namespace {

const catalog::Machine* machine_of(const JobSpec& spec, const std::string& cloud) {
  for (const catalog::Machine* m : catalog::machine_catalog().lookup(spec.machine)) {
    if (m->cloud != cloud) continue;
    if (spec.gpu_type.empty() ? m->gpu_count > 0 : m->gpu_count < spec.gpu_count) continue;
    // An N1 type carries T4, P100 or V100: the row of the GPU asked for (its quota).
    if (!spec.gpu_type.empty() && m->gpu != spec.gpu_type) continue;
    return m;
  }
  return nullptr;
}

std::string amount(double v) {
  return v == static_cast<double>(static_cast<long long>(v)) ? fmt::format("{:.0f}", v)
                                                             : fmt::format("{:.1f}", v);
}

}  // namespace

nlohmann::json QuotaHeadroom::to_json() const {
  nlohmann::json j = {
      {"code", need.code}, {"name", need.name}, {"unit", need.unit}, {"needed", need.amount}};
  if (quota) {
    j["limit"] = quota->limit;
    j["used"] = quota->used ? nlohmann::json(*quota->used) : nlohmann::json(nullptr);
    j["headroom"] = headroom;
    j["exceeded"] = exceeded();
    j["raise_url"] = quota->raise_url;
  } else {
    j["limit"] = nullptr;  // not in the cache: `mlbox machines --refresh` reads it
  }
  return j;
}

std::optional<QuotaHeadroom> quota_headroom(const JobSpec& spec, const std::string& cloud,
                                            const catalog::PriceCache& cache) {
  const catalog::Machine* m = machine_of(spec, cloud);
  if (!m) return std::nullopt;
  auto match = catalog::match_quota(cache, *m, spec.region, spec.spot, std::max(1, spec.nodes),
                                    cloud == "gcp" ? spec.project : std::string());
  if (!match) return std::nullopt;
  QuotaHeadroom h;
  h.need = match->need;
  h.quota = match->quota;
  if (h.quota) h.headroom = h.quota->limit - h.quota->used.value_or(0);
  return h;
}

void refuse_over_quota(const QuotaHeadroom& h, const JobSpec& spec, const std::string& fetched_at) {
  if (!h.exceeded()) return;
  throw Error(
      ErrorKind::kConfig,
      fmt::format("{} x{} needs {} {} of quota {}{} in {}, which has {} left (limit {}{}; "
                  "read {})",
                  spec.machine, std::max(1, spec.nodes), amount(h.need.amount), h.need.unit,
                  h.need.code, h.quota->name == h.need.code ? "" : " (" + h.quota->name + ")",
                  spec.region, amount(h.headroom), amount(h.quota->limit),
                  h.quota->used ? ", used " + amount(*h.quota->used) : std::string(), fetched_at),
      fmt::format("ask for more at {}, or pick a smaller machine, another region or {}; "
                  "`mlbox machines --refresh` reads the quota again",
                  h.quota->raise_url, spec.spot ? "on-demand" : "--spot"));
}

}  // namespace mlbox::jobs
