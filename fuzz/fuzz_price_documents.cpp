// The clouds' price answers `machines --refresh` reads: AWS Price List items (JSON strings),
// EC2 DescribeSpotPriceHistory / GetSpotPlacementScores / DescribeInstances XML, Cloud Billing
// Catalog SKUs (JSON), Compute regions.get quotas, Cloud Quotas ListQuotaInfos pages, and the
// price cache file itself.
#include <nlohmann/json.hpp>

#include "catalog/live_prices.h"
#include "cloud/aws/ec2_instances.h"
#include "cloud/aws/ec2_spot.h"
#include "cloud/aws/price_list.h"
#include "cloud/gcp/billing_catalog.h"
#include "cloud/gcp/gcp_machine_prices.h"
#include "cloud/gcp/vertex_quotas.h"
#include "fuzz_support.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(mlbox::fuzz::as_text(data, size));
  try {
    (void)mlbox::cloud::aws::parse_price_list_item(text);
  } catch (const mlbox::Error&) {
  }
  try {
    (void)mlbox::cloud::aws::parse_spot_price_history(text);
  } catch (const mlbox::Error&) {
  }
  try {
    (void)mlbox::cloud::aws::parse_spot_placement_scores(text);
  } catch (const mlbox::Error&) {
  }
  try {
    (void)mlbox::cloud::aws::parse_running_instances(text);
  } catch (const mlbox::Error&) {
  }
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return 0;
  try {
    (void)mlbox::cloud::gcp::read_sku(j);
  } catch (const mlbox::Error&) {
  }
  if (j.is_object() && j.contains("skus") && j["skus"].is_array()) {
    for (const auto& sku : j["skus"]) {
      try {
        (void)mlbox::cloud::gcp::read_sku(sku);
      } catch (const mlbox::Error&) {
      }
    }
  }
  (void)mlbox::cloud::gcp::read_region_gpu_quotas(j, "p", "r");
  std::vector<std::string> skipped;
  try {
    (void)mlbox::cloud::gcp::read_vertex_gpu_quotas(j, "p", {"us-central1", "r"}, &skipped);
  } catch (const mlbox::Error&) {
  }
  try {
    (void)mlbox::cloud::gcp::read_vertex_gpu_quotas(j, "p", {"us-central1"});
  } catch (const mlbox::Error&) {
  }
  try {
    (void)mlbox::catalog::price_cache_from_json(j, "fuzz");
  } catch (const mlbox::Error&) {
  }
  return 0;
}
