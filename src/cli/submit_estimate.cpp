#include "cli/submit_estimate.h"

#include <fmt/format.h>

#include "backends/image_push.h"
#include "catalog/live_prices.h"
#include "image/oci_layout.h"
#include "jobs/quota_check.h"
#include "jobs/spec_builder.h"

namespace mlbox::cli {

namespace {

std::string bytes(uint64_t n) {
  if (n >= (1ull << 30)) return fmt::format("{:.2f} GiB", static_cast<double>(n) / (1ull << 30));
  if (n >= (1ull << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(n) / (1ull << 20));
  if (n >= 1024) return fmt::format("{:.1f} KiB", static_cast<double>(n) / 1024);
  return fmt::format("{} B", n);
}

std::string duration(int64_t s) {
  if (s % 3600 == 0) return fmt::format("{}h", s / 3600);
  if (s % 60 == 0) return fmt::format("{}m", s / 60);
  return fmt::format("{}s", s);
}

}  // namespace

nlohmann::json launch_estimate(Context& ctx, const jobs::JobSpec& spec, const std::string& target,
                               bool refuse_over_quota) {
  const std::string cloud = jobs::cloud_of_target(target);
  nlohmann::json out = nlohmann::json::object();
  // Cost: max_runtime at the on-demand and the spot rate.
  double hours =
      spec.max_runtime_seconds > 0 ? static_cast<double>(spec.max_runtime_seconds) / 3600 : 1.0;
  jobs::JobSpec on_demand = spec, spot = spec;
  on_demand.spot = false;
  spot.spot = true;
  auto od_cost = jobs::estimated_cost(on_demand, target, hours);
  auto spot_cost = jobs::estimated_cost(spot, target, hours);
  const auto& catalog = catalog::machine_catalog();
  std::string source = fmt::format("embedded list prices as of {}", catalog.prices_as_of);
  for (const auto& [c, s] : catalog.live_sources) {
    if (c == cloud) source = "prices fetched " + s.substr(0, s.find(' '));
  }
  if (od_cost) {
    out["cost"] = {{"hours", spec.max_runtime_seconds > 0 ? nlohmann::json(hours) : nullptr},
                   {"on_demand_usd", *od_cost},
                   {"spot_usd", spot_cost && *spot_cost != *od_cost ? nlohmann::json(*spot_cost)
                                                                    : nlohmann::json(nullptr)},
                   {"source", source}};
    std::string span = spec.max_runtime_seconds > 0
                           ? "for max_runtime " + duration(spec.max_runtime_seconds)
                           : "per hour (no max_runtime)";
    ctx.observer().info(fmt::format(
        "estimate {}: ${:.2f} on-demand{} ({})", span, *od_cost,
        spot_cost && *spot_cost != *od_cost ? fmt::format(", ${:.2f} spot", *spot_cost) : "",
        source));
  }
  // Quota headroom.
  const catalog::PriceCache& cache = catalog::price_cache();
  if (auto h = jobs::quota_headroom(spec, cloud, cache)) {
    out["quota"] = h->to_json();
    const auto* snap = cache.cloud(cloud);
    if (h->quota) {
      ctx.observer().info(
          fmt::format("quota {}{} in {}: needs {} {}, {} left of {}{}", h->need.code,
                      h->quota->name == h->need.code ? "" : " (" + h->quota->name + ")",
                      spec.region, h->need.amount, h->need.unit, h->headroom, h->quota->limit,
                      h->quota->used ? "" : " (usage unknown: the limit is the headroom)"));
      if (refuse_over_quota) jobs::refuse_over_quota(*h, spec, snap ? snap->fetched_at : "");
      if (h->exceeded()) {
        ctx.observer().warn(
            fmt::format("the job exceeds quota {}: a submit would be refused", h->need.code));
      }
    } else {
      ctx.observer().info(
          fmt::format("quota {} in {}: not known (`mlbox machines --refresh` reads it)",
                      h->need.code, spec.region));
    }
  }
  return out;
}

nlohmann::json push_estimate(Context& ctx, const SubmitFlags& f, const std::string& repo,
                             const std::string& tag) {
  auto e = backends::estimate_push(image::project_store_path(ctx.project_dir()), repo, tag,
                                   f.build.registry, ctx.observer());
  nlohmann::json j = {{"image_bytes", e.image_bytes},
                      {"bytes_to_push", e.bytes_to_push},
                      {"blobs", e.blobs},
                      {"blobs_missing", e.blobs_missing}};
  if (!e.registry_problem.empty()) {
    j["registry_problem"] = e.registry_problem;
    ctx.observer().warn("could not ask the registry which blobs it has (counting them all): " +
                        e.registry_problem.substr(0, e.registry_problem.find('\n')));
  }
  ctx.observer().info(fmt::format("push: {} in {} of {} blobs the registry lacks; pull: {}",
                                  bytes(e.bytes_to_push), e.blobs_missing, e.blobs,
                                  bytes(e.image_bytes)));
  return j;
}

}  // namespace mlbox::cli
