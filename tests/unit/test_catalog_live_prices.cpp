#include <doctest/doctest.h>

#include <filesystem>

#include "catalog/live_prices.h"
#include "catalog/machine_quota.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;
using namespace mlbox::catalog;

namespace {

PriceCache sample() {
  CloudSnapshot aws;
  aws.fetched_at = "2026-12-03T10:00:00Z";
  aws.source = "AWS Price List API";
  aws.prices.push_back({"aws", "g4dn.xlarge", "", 0, "us-east-1", 0.611, 0.2});
  aws.quotas.push_back({"aws", "us-east-1", "L-DB2E81BA", "Running On-Demand G and VT instances",
                        "vCPU", 8, std::nullopt, "https://example/raise", ""});
  aws.scores.push_back({"g4dn.xlarge", "us-east-1", 7});
  aws.skipped = 2;
  PriceCache c;
  c.aws = aws;
  return c;
}

}  // namespace

TEST_CASE("the price cache round-trips through its file (atomic write)") {
  fs::TempDir dir;
  auto path = dir.path() / "prices" / "machines.json";
  CHECK_FALSE(load_price_cache(path));
  save_price_cache(path, sample());
  auto back = load_price_cache(path);
  REQUIRE(back);
  REQUIRE(back->aws);
  CHECK_FALSE(back->gcp);
  CHECK(back->aws->fetched_at == "2026-12-03T10:00:00Z");
  CHECK(back->aws->skipped == 2);
  REQUIRE(back->aws->prices.size() == 1);
  CHECK(*back->aws->prices[0].on_demand == doctest::Approx(0.611));
  CHECK(*back->aws->prices[0].spot == doctest::Approx(0.2));
  REQUIRE(back->aws->quotas.size() == 1);
  CHECK_FALSE(back->aws->quotas[0].used);
  CHECK(back->aws->scores[0].score == 7);
}

TEST_CASE("a damaged cache names the file and the JSON path") {
  fs::TempDir dir;
  auto path = dir.path() / "machines.json";
  fs::write_file_atomic(path, R"({"schema": 1, "aws": {"fetched_at": "x", "source": "y",
    "skipped": 0, "prices": [{"machine": 3}], "quotas": [], "spot_scores": []}})");
  CHECK_THROWS_WITH_AS(load_price_cache(path), doctest::Contains("$.aws.prices[0].machine"), Error);
  fs::write_file_atomic(path, "{");
  CHECK_THROWS_WITH_AS(load_price_cache(path), doctest::Contains("not JSON"), Error);
}

TEST_CASE("overlay: cached prices replace the embedded ones of that machine and region only") {
  const auto& base = builtin_machine_catalog();
  auto cat = overlay_prices(base, sample());
  const Machine& m = find_machine(cat, "g4dn.xlarge");
  const RegionPrice* east = m.price_in("us-east-1");
  REQUIRE(east);
  CHECK(east->on_demand == doctest::Approx(0.611));
  CHECK(*east->spot == doctest::Approx(0.2));
  CHECK(east->live);
  const RegionPrice* west = m.price_in("us-west-2");
  REQUIRE(west);
  CHECK_FALSE(west->live);
  CHECK(west->on_demand ==
        doctest::Approx(find_machine(base, "g4dn.xlarge").price_in("us-west-2")->on_demand));
  REQUIRE(cat.live_sources.size() == 1);
  CHECK(cat.live_sources[0].first == "aws");
  CHECK(base.live_sources.empty());
}

TEST_CASE("quota needs: AWS vCPUs by family group, Google GPUs by model metric") {
  const auto& cat = builtin_machine_catalog();
  auto g = quota_need(find_machine(cat, "g4dn.xlarge"), false, 2);
  REQUIRE(g);
  CHECK(g->code == "L-DB2E81BA");
  CHECK(g->amount == 8);
  CHECK(g->unit == "vCPU");
  CHECK(quota_need(find_machine(cat, "g4dn.xlarge"), true)->code == "L-3819A6DF");
  CHECK(quota_need(find_machine(cat, "p3.2xlarge"), false)->code == "L-417A185B");
  CHECK(quota_need(find_machine(cat, "p3.2xlarge"), true)->code == "L-7212CCBC");
  auto t4 = quota_need(find_machine(cat, "n1-standard-8", "T4", 1), false);
  REQUIRE(t4);
  CHECK(t4->code == "NVIDIA_T4_GPUS");
  CHECK(t4->amount == 1);
  CHECK(quota_need(find_machine(cat, "n1-standard-8", "T4", 1), true)->code ==
        "PREEMPTIBLE_NVIDIA_T4_GPUS");
  CHECK(find_quota(sample(), "aws", "us-east-1", "L-DB2E81BA")->limit == 8);
  CHECK_FALSE(find_quota(sample(), "aws", "us-west-2", "L-DB2E81BA"));
}

TEST_CASE("Google quotas: Vertex over Compute, per project; the project survives the cache file") {
  const auto& cat = builtin_machine_catalog();
  const Machine& t4 = find_machine(cat, "n1-standard-8", "T4", 1);
  const std::string vertex = "aiplatform.googleapis.com/custom_model_training_nvidia_t4_gpus";
  CloudSnapshot gcp;
  gcp.fetched_at = "2026-12-03T10:00:00Z";
  gcp.source = "Cloud Billing Catalog API";
  gcp.quotas.push_back(
      {"gcp", "us-central1", "NVIDIA_T4_GPUS", "NVIDIA_T4_GPUS", "GPU", 4, 1.0, "u", "proj-a"});
  PriceCache c;
  c.gcp = gcp;
  // Only Compute's: it is the one shown.
  auto m = match_quota(c, t4, "us-central1", false, 1, "proj-a");
  REQUIRE(m);
  REQUIRE(m->quota);
  CHECK(m->quota->code == "NVIDIA_T4_GPUS");
  // Vertex's cached too (after Compute's in the list): Vertex wins.
  c.gcp->quotas.push_back(
      {"gcp", "us-central1", vertex, "T4", "GPU", 2, std::nullopt, "u", "proj-a"});
  m = match_quota(c, t4, "us-central1", false, 1, "proj-a");
  REQUIRE(m);
  REQUIRE(m->quota);
  CHECK(m->quota->code == vertex);
  CHECK(m->quota->limit == 2);
  CHECK(m->need.code == vertex);
  // Another project's quotas do not hold its jobs; no project asked: any.
  m = match_quota(c, t4, "us-central1", false, 1, "proj-b");
  REQUIRE(m);
  CHECK_FALSE(m->quota);
  CHECK(find_quota(c, "gcp", "us-central1", vertex)->limit == 2);
  fs::TempDir dir;
  auto path = dir.path() / "machines.json";
  save_price_cache(path, c);
  auto back = load_price_cache(path);
  REQUIRE(back);
  REQUIRE(back->gcp);
  REQUIRE(back->gcp->quotas.size() == 2);
  CHECK(back->gcp->quotas[1].project == "proj-a");
  CHECK(back->aws == std::nullopt);
}
