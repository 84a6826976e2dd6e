#include "cloud/gcp/gcp_machine_prices.h"

#include <fmt/format.h>

#include "catalog/machine_quota.h"
#include "cloud/gcp/billing_catalog.h"
#include "cloud/gcp/vertex_quotas.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/utc_time.h"

namespace mlbox::cloud::gcp {

std::string compute_api_base(const config::EnvGetter& env) {
  std::string base = "https://compute.googleapis.com/";
  if (auto o = env ? env("CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE") : std::nullopt;
      o && !o->empty()) {
    base = *o;
  }
  if (!ends_with(base, "/")) base += "/";
  if (!ends_with(base, "/compute/v1/")) base += "compute/v1/";
  return base;
}

std::vector<catalog::Quota> read_region_gpu_quotas(const nlohmann::json& region,
                                                   const std::string& project,
                                                   const std::string& region_name) {
  std::vector<catalog::Quota> out;
  if (!region.contains("quotas") || !region["quotas"].is_array()) return out;
  for (const auto& q : region["quotas"]) {
    if (!q.is_object() || !q.contains("metric") || !q["metric"].is_string()) continue;
    std::string metric = q["metric"].get<std::string>();
    if (!ends_with(metric, "_GPUS") || !q.contains("limit") || !q["limit"].is_number()) continue;
    catalog::Quota quota;
    quota.cloud = "gcp";
    quota.region = region_name;
    quota.code = metric;
    quota.name = metric;
    quota.unit = "GPU";
    quota.limit = q["limit"].get<double>();
    if (q.contains("usage") && q["usage"].is_number()) quota.used = q["usage"].get<double>();
    quota.raise_url = catalog::gcp_quota_console_url(project, metric);
    quota.project = project;
    out.push_back(std::move(quota));
  }
  return out;
}

catalog::CloudSnapshot fetch_gcp_machine_prices(GoogleApi& api, const config::EnvGetter& env,
                                                const catalog::MachineCatalog& catalog,
                                                const GcpPriceRequest& request,
                                                Observer& observer) {
  const auto& regions = request.regions;
  catalog::CloudSnapshot snap;
  snap.fetched_at = utc_now_rfc3339();
  std::string base = cloudbilling_api_base(env);
  ComputeRates rates;
  std::string token;
  int pages = 0, skus = 0;
  do {
    nlohmann::json page = api.call("GET", list_skus_url(base, kComputeEngineService, token));
    ++pages;
    if (page.contains("skus") && page["skus"].is_array()) {
      for (const auto& sku : page["skus"]) {
        ++skus;
        try {
          if (auto r = read_sku(sku)) rates.add(*r);
        } catch (const Error& e) {
          ++snap.skipped;
          observer.debug(fmt::format("skipped a SKU: {}", e.what()));
        }
      }
    }
    token = page.contains("nextPageToken") && page["nextPageToken"].is_string()
                ? page["nextPageToken"].get<std::string>()
                : "";
  } while (!token.empty());
  observer.debug(fmt::format("Cloud Billing Catalog: {} page(s), {} SKUs", pages, skus));
  snap.prices = compose_gcp_prices(catalog, rates, regions);
  snap.source = "Cloud Billing Catalog API (Compute Engine SKUs)";
  if (!request.project.empty() && !request.quota_regions.empty()) {
    std::string compute = compute_api_base(env);
    for (const auto& region : request.quota_regions) {
      try {
        nlohmann::json r =
            api.call("GET", fmt::format("{}projects/{}/regions/{}", compute,
                                        percent_encode(request.project), percent_encode(region)));
        auto quotas = read_region_gpu_quotas(r, request.project, region);
        snap.quotas.insert(snap.quotas.end(), quotas.begin(), quotas.end());
      } catch (const Error& e) {
        observer.warn(fmt::format("Google GPU quotas of {} in {} not read: {}", request.project,
                                  region, e.what()));
      }
    }
    snap.source += " + Compute Engine region quotas";
    try {
      std::vector<std::string> bad;
      auto vertex = fetch_vertex_gpu_quotas(api, env, request.project, request.quota_regions, &bad);
      for (const auto& b : bad) observer.debug("skipped a Vertex AI quota: " + b);
      if (!bad.empty()) {
        observer.warn(
            fmt::format("{} Vertex AI quota(s) could not be read and were skipped "
                        "(--verbose names them)",
                        bad.size()));
      }
      observer.debug(
          fmt::format("Cloud Quotas API: {} Vertex AI training GPU quota(s)", vertex.size()));
      snap.quotas.insert(snap.quotas.end(), vertex.begin(), vertex.end());
      snap.source += " + Vertex AI quotas (Cloud Quotas API)";
    } catch (const Error& e) {
      observer.warn(
          fmt::format("Vertex AI training GPU quotas of {} not read (the Compute "
                      "Engine ones are shown instead): {}",
                      request.project, e.what()));
    }
  }
  return snap;
}

}  // namespace mlbox::cloud::gcp
