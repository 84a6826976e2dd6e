#include <doctest/doctest.h>

#include <string>

#include "catalog/machine_catalog.h"
#include "cloud/gcp/billing_catalog.h"
#include "config/settings.h"
#include "util/error.h"

using namespace mlbox;
using namespace mlbox::cloud::gcp;
using nlohmann::json;

namespace {

json sku(const std::string& desc, const std::string& usage, const std::string& unit, json units,
         int nanos, json regions = json::array({"us-central1"})) {
  return {{"name", "services/6F81-5844-456A/skus/0000-0000-0001"},
          {"skuId", "0000-0000-0001"},
          {"description", desc},
          {"category",
           {{"serviceDisplayName", "Compute Engine"},
            {"resourceFamily", "Compute"},
            {"resourceGroup", "GPU"},
            {"usageType", usage}}},
          {"serviceRegions", regions},
          {"pricingInfo",
           json::array(
               {{{"effectiveTime", "2026-12-01T00:00:00Z"},
                 {"pricingExpression",
                  {{"usageUnit", unit},
                   {"tieredRates",
                    json::array(
                        {{{"startUsageAmount", 0},
                          {"unitPrice",
                           {{"currencyCode", "USD"}, {"units", units}, {"nanos", nanos}}}}})}}}}})},
          {"serviceProviderName", "Google"}};
}

}  // namespace

TEST_CASE("Money: units (an int64 sent as a string) plus nanos, USD only") {
  CHECK(money_usd({{"currencyCode", "USD"}, {"units", "2"}, {"nanos", 480000000}}, "p") ==
        doctest::Approx(2.48));
  CHECK(money_usd({{"currencyCode", "USD"}, {"nanos", 350000000}}, "p") == doctest::Approx(0.35));
  CHECK(money_usd({{"currencyCode", "USD"}, {"units", 1}}, "p") == doctest::Approx(1.0));
  CHECK_THROWS_WITH_AS(money_usd({{"currencyCode", "EUR"}, {"units", "1"}}, "p"),
                       doctest::Contains("not USD"), Error);
  CHECK_THROWS_AS(money_usd({{"currencyCode", "USD"}, {"units", "x1"}}, "p"), Error);
  CHECK_THROWS_AS(money_usd({{"currencyCode", "USD"}, {"nanos", 1000000000}}, "p"), Error);
}

TEST_CASE("SKUs: GPUs, cores and RAM by family, on-demand and spot; others ignored") {
  auto t4 =
      read_sku(sku("Nvidia Tesla T4 GPU running in Americas", "OnDemand", "h", "0", 350000000));
  REQUIRE(t4);
  CHECK(t4->kind == SkuRate::Kind::kGpu);
  CHECK(t4->key == "T4");
  CHECK_FALSE(t4->spot);
  CHECK(t4->usd == doctest::Approx(0.35));
  auto a100 = read_sku(sku("Spot Preemptible Nvidia Tesla A100 80GB GPU running in Americas",
                           "Preemptible", "h", "1", 570000000));
  REQUIRE(a100);
  CHECK(a100->key == "A100-80GB");
  CHECK(a100->spot);
  auto h100 = read_sku(sku("Nvidia H100 80GB GPU running in Americas", "OnDemand", "h", "9", 0));
  REQUIRE(h100);
  CHECK(h100->key == "H100");
  auto core = read_sku(
      sku("N1 Predefined Instance Core running in Americas", "OnDemand", "h", "0", 31611000));
  REQUIRE(core);
  CHECK(core->kind == SkuRate::Kind::kCore);
  CHECK(core->key == "n1");
  auto ram =
      read_sku(sku("G2 Instance Ram running in Americas", "OnDemand", "GiBy.h", "0", 2950000));
  REQUIRE(ram);
  CHECK(ram->kind == SkuRate::Kind::kRam);
  CHECK(ram->key == "g2");
  CHECK_FALSE(read_sku(
      sku("Commitment v1: Nvidia Tesla T4 GPU in Americas for 1 Year", "Commit1Yr", "h", "0", 1)));
  CHECK_FALSE(
      read_sku(sku("N1 Custom Instance Core running in Americas", "OnDemand", "h", "0", 1)));
  CHECK_FALSE(read_sku(sku("Storage PD Capacity", "OnDemand", "GiBy.mo", "0", 1)));
}

TEST_CASE("a SKU of ours whose pricing cannot be read throws (skipped and counted by callers)") {
  CHECK_THROWS_WITH_AS(
      read_sku(sku("Nvidia L4 GPU running in Americas", "OnDemand", "GiBy.h", "0", 1)),
      doctest::Contains("usageUnit"), Error);
  json no_rates = sku("Nvidia L4 GPU running in Americas", "OnDemand", "h", "0", 1);
  no_rates["pricingInfo"][0]["pricingExpression"]["tieredRates"] = json::array();
  CHECK_THROWS_WITH_AS(read_sku(no_rates), doctest::Contains("no tieredRates"), Error);
  json no_info = sku("Nvidia L4 GPU running in Americas", "OnDemand", "h", "0", 1);
  no_info.erase("pricingInfo");
  CHECK_THROWS_WITH_AS(read_sku(no_info), doctest::Contains("no pricingInfo"), Error);
}

TEST_CASE("machine prices: vCPUs x core + GiB x RAM + GPUs x GPU, where every part has a rate") {
  catalog::MachineCatalog cat = catalog::parse_machine_catalog(R"(
machines:
  - {name: n1-standard-8, cloud: gcp, gpu: T4, gpu_count: 1, vcpu: 8, memory_gib: 30,
     accelerator_type: NVIDIA_TESLA_T4,
     prices: {us-central1: {on_demand: 1}, europe-west4: {on_demand: 1}}}
  - {name: n1-standard-8, cloud: gcp, gpu: "", gpu_count: 0, vcpu: 8, memory_gib: 30,
     prices: {us-central1: {on_demand: 1}}}
)",
                                                               "test");
  ComputeRates rates;
  rates.add(*read_sku(
      sku("N1 Predefined Instance Core running in Americas", "OnDemand", "h", "0", 30000000)));
  rates.add(*read_sku(
      sku("N1 Predefined Instance Ram running in Americas", "OnDemand", "GiBy.h", "0", 4000000)));
  rates.add(
      *read_sku(sku("Nvidia Tesla T4 GPU running in Americas", "OnDemand", "h", "0", 350000000)));
  rates.add(*read_sku(sku("Spot Preemptible Nvidia Tesla T4 GPU running in Americas", "Preemptible",
                          "h", "0", 140000000)));
  auto prices = compose_gcp_prices(cat, rates, {});
  REQUIRE(prices.size() == 2);  // europe-west4 has no rates; no spot core/RAM rates either
  CHECK(prices[0].machine == "n1-standard-8");
  CHECK(prices[0].gpu == "T4");
  CHECK(*prices[0].on_demand == doctest::Approx(8 * 0.03 + 30 * 0.004 + 0.35));
  CHECK_FALSE(prices[0].spot);
  CHECK(prices[1].gpu_count == 0);
  CHECK(*prices[1].on_demand == doctest::Approx(8 * 0.03 + 30 * 0.004));
  CHECK(compose_gcp_prices(cat, rates, {"europe-west4"}).empty());
}

TEST_CASE("the Billing API base honours gcloud's endpoint override") {
  CHECK(cloudbilling_api_base(config::env_from_map({})) ==
        "https://cloudbilling.googleapis.com/v1/");
  CHECK(cloudbilling_api_base(config::env_from_map(
            {{"CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDBILLING", "http://127.0.0.1:9/"}})) ==
        "http://127.0.0.1:9/v1/");
  CHECK(list_skus_url("B/", "6F81-5844-456A", "a b", 100) ==
        "B/services/6F81-5844-456A/skus?currencyCode=USD&pageSize=100&pageToken=a%20b");
}
