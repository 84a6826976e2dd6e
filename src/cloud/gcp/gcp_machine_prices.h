// Live Google figures for the catalog's GCP rows: Compute Engine SKUs from the Cloud
// Billing Catalog API (every page), composed into machine prices (billing_catalog.h), and
// the GPU quotas of a project's regions (Compute Engine regions.get: quotas[] with metric,
// limit and usage; base https://compute.googleapis.com/compute/v1/ or
// $CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE), and its Vertex AI custom-training GPU quotas
// (Cloud Quotas API, vertex_quotas.h).
#pragma once

#include <string>
#include <vector>

#include "catalog/live_prices.h"
#include "catalog/machine_catalog.h"
#include "cloud/gcp/google_api.h"
#include "config/settings.h"
#include "core/events.h"

namespace mlbox::cloud::gcp {

// Throws Error(kAuth) when the token is refused; SKUs whose pricing cannot be read are
// skipped and counted in `skipped`.
struct GcpPriceRequest {
  std::vector<std::string> regions;        // empty: every catalog region
  std::string project;                     // for quotas; empty: none read
  std::vector<std::string> quota_regions;  // regions whose quotas to read
};

catalog::CloudSnapshot fetch_gcp_machine_prices(GoogleApi& api, const config::EnvGetter& env,
                                                const catalog::MachineCatalog& catalog,
                                                const GcpPriceRequest& request, Observer& observer);

std::string compute_api_base(const config::EnvGetter& env);
// The *_GPUS quotas of regions.get's answer.
std::vector<catalog::Quota> read_region_gpu_quotas(const nlohmann::json& region,
                                                   const std::string& project,
                                                   const std::string& region_name);

}  // namespace mlbox::cloud::gcp
