// The Cloud Billing Catalog API (google.cloud.billing.v1.CloudCatalog.ListSkus:
// GET {base}v1/services/{service}/skus?pageSize=&pageToken=): the Compute Engine SKUs a
// training machine is billed by (GPU per GPU-hour, vCPU per core-hour, memory per
// GiB-hour; on-demand and spot) read into rates, and machine prices composed from them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/live_prices.h"
#include "catalog/machine_catalog.h"
#include "config/settings.h"

namespace mlbox::cloud::gcp {

inline constexpr const char* kComputeEngineService = "6F81-5844-456A";

// "https://cloudbilling.googleapis.com/v1/" or $CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDBILLING
// (+ "v1/").
std::string cloudbilling_api_base(const config::EnvGetter& env);
std::string list_skus_url(const std::string& base, const std::string& service,
                          const std::string& page_token, int page_size = 5000);

// google.type.Money {currencyCode, units (int64, a JSON string), nanos} in USD; throws
// Error(kRemote) naming `path` for another currency or a malformed value.
double money_usd(const nlohmann::json& money, const std::string& path);

struct SkuRate {
  enum class Kind { kGpu, kCore, kRam };
  Kind kind = Kind::kGpu;
  std::string key;  // GPU: "T4", "A100-80GB", "H100"; core/RAM: machine family ("n1", "a2")
  bool spot = false;
  std::vector<std::string> regions;
  double usd = 0;  // per GPU-hour, vCPU-hour or GiB-hour
};

// A SKU a training machine is billed by, or nullopt for any other (commitments, custom
// and sole-tenant types, other products). Throws Error(kRemote) naming the SKU when it is
// one of ours but its pricing cannot be read (the caller skips and counts it).
std::optional<SkuRate> read_sku(const nlohmann::json& sku);

// Rates by (kind, key, spot, region) -> USD.
struct ComputeRates {
  std::map<std::tuple<SkuRate::Kind, std::string, bool, std::string>, double> rate;
  void add(const SkuRate& r);
  std::optional<double> find(SkuRate::Kind kind, const std::string& key, bool spot,
                             const std::string& region) const;
};

// The catalog's GCP rows priced from the rates (vCPUs x core rate + GiB x RAM rate + GPUs x
// GPU rate) in each of their regions where every part has a rate; `regions` (empty: all)
// narrows them.
std::vector<catalog::LivePrice> compose_gcp_prices(const catalog::MachineCatalog& catalog,
                                                   const ComputeRates& rates,
                                                   const std::vector<std::string>& regions);

}  // namespace mlbox::cloud::gcp
