// Prices, quotas and spot capacity fetched from the clouds (`mlbox machines --refresh`),
// kept in one cache file ($MLBOX_HOME/prices/machines.json, written atomically) with the
// time and source of each part, and laid over the embedded catalog: a row's region price
// is replaced when the cache has one for that machine and region; everything the cache
// lacks keeps the embedded (dated) figure.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/machine_catalog.h"

namespace mlbox::catalog {

// One machine's hourly price in one region, from a cloud's price API.
struct LivePrice {
  std::string cloud;    // "aws" | "gcp"
  std::string machine;  // "g4dn.xlarge", "n1-standard-8"
  std::string gpu;      // catalog GPU key ("T4"); "" for CPU-only rows and AWS (one row per type)
  int gpu_count = 0;
  std::string region;
  std::optional<double> on_demand;  // USD/h
  std::optional<double> spot;       // USD/h (AWS: the lowest zone's current price)
};

// A quota that bounds GPU machines: AWS vCPUs per instance family (on-demand / spot),
// Google GPUs per model and region.
struct Quota {
  std::string cloud;
  std::string region;
  std::string code;  // AWS quota code ("L-DB2E81BA"); Google metric ("NVIDIA_T4_GPUS")
  std::string name;  // "Running On-Demand G and VT instances"
  std::string unit;  // "vCPU" | "GPU"
  double limit = 0;
  std::optional<double> used;  // unknown when the API does not say (AWS Service Quotas)
  std::string raise_url;       // where to ask for more
  // Google: the project the quota belongs to (a job for another project is not checked
  // against it); empty for AWS and for caches written before projects were recorded.
  std::string project;
};

// EC2 GetSpotPlacementScores: how likely a spot request for one instance is filled (1-10).
struct SpotScore {
  std::string machine;
  std::string region;
  int score = 0;
};

// What one refresh of one cloud brought back.
struct CloudSnapshot {
  std::string fetched_at;  // RFC 3339
  std::string source;      // "AWS Price List API + EC2 spot price history"
  std::vector<LivePrice> prices;
  std::vector<Quota> quotas;
  std::vector<SpotScore> scores;
  int skipped = 0;  // malformed price documents skipped
};

struct PriceCache {
  std::optional<CloudSnapshot> aws;
  std::optional<CloudSnapshot> gcp;
  bool empty() const { return !aws && !gcp; }
  const CloudSnapshot* cloud(std::string_view name) const;
};

nlohmann::json to_json(const PriceCache& cache);
// Throws Error(kConfig) naming `source` and the JSON path of what is wrong.
PriceCache price_cache_from_json(const nlohmann::json& j, std::string_view source);

// $MLBOX_HOME/prices/machines.json.
std::filesystem::path default_price_cache_path();
// nullopt when the file does not exist; Error(kConfig) when it is not a cache.
std::optional<PriceCache> load_price_cache(const std::filesystem::path& path);
void save_price_cache(const std::filesystem::path& path, const PriceCache& cache);

// The embedded catalog with the cache's prices laid over it; prices_as_of and
// prices_source say where the figures come from.
MachineCatalog overlay_prices(const MachineCatalog& base, const PriceCache& cache);

// The catalog every command prices with: the embedded one, overlaid with the cache when
// there is a readable one (loaded once per process; an unreadable cache is ignored and
// described by price_cache_problem()).
const MachineCatalog& machine_catalog();
const PriceCache& price_cache();
std::string price_cache_problem();

}  // namespace mlbox::catalog
