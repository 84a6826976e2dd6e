#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "catalog/live_prices.h"
#include "catalog/machine_quota.h"
#include "cloud/gcp/vertex_quotas.h"
#include "util/error.h"

using namespace mlbox;
using namespace mlbox::cloud::gcp;
using nlohmann::json;

namespace {

const std::string kT4 = "aiplatform.googleapis.com/custom_model_training_nvidia_t4_gpus";

json quota_info(const std::string& metric, json dims_infos) {
  return {{"name", "projects/p/locations/global/services/aiplatform.googleapis.com/quotaInfos/X"},
          {"quotaId", "X"},
          {"metric", metric},
          {"service", "aiplatform.googleapis.com"},
          {"quotaDisplayName", "Custom model training Nvidia T4 GPUs per region"},
          {"dimensions", json::array({"region"})},
          {"dimensionsInfos", dims_infos}};
}

json region_info(const std::string& region, json value) {
  return {{"dimensions", {{"region", region}}},
          {"details", {{"value", value}}},
          {"applicableLocations", json::array({region})}};
}

}  // namespace

TEST_CASE("Vertex quotas: the region's limit wins over the default; LIMIT only") {
  json page = {
      {"quotaInfos",
       json::array(
           {quota_info("aiplatform.googleapis.com/online_prediction_requests_per_base_model",
                       json::array({region_info("us-central1", "100")})),
            quota_info(kT4, json::array({region_info("us-central1", "6"),
                                         {{"details", {{"value", "1"}}},
                                          {"applicableLocations", json::array({"global"})}}})),
            quota_info("aiplatform.googleapis.com/custom_model_training_nvidia_l4_gpus",
                       json::array({region_info("europe-west4", 3)}))})}};
  auto qs = read_vertex_gpu_quotas(page, "proj-1", {"us-central1", "europe-west4"});
  REQUIRE(qs.size() == 3);
  CHECK(qs[0].code == kT4);
  CHECK(qs[0].region == "us-central1");
  CHECK(qs[0].limit == 6);
  CHECK_FALSE(qs[0].used.has_value());
  CHECK(qs[0].unit == "GPU");
  CHECK(qs[0].name == "Custom model training Nvidia T4 GPUs per region");
  CHECK(qs[0].project == "proj-1");
  CHECK(qs[0].raise_url ==
        "https://console.cloud.google.com/iam-admin/quotas?project=proj-1&metric=" + kT4);
  CHECK(qs[1].region == "europe-west4");  // the default (no region dimension)
  CHECK(qs[1].limit == 1);
  CHECK(qs[2].limit == 3);  // an int64 written as a JSON number is read too
  CHECK(read_vertex_gpu_quotas(page, "proj-1", {"asia-east1"}).size() == 1);  // T4's default
}

TEST_CASE("Vertex quotas: a malformed QuotaInfo of ours is skipped and named, or throws") {
  json page = {
      {"quotaInfos",
       json::array({quota_info(kT4, json::array({region_info("us-central1", "six")})),
                    quota_info("aiplatform.googleapis.com/custom_model_training_nvidia_l4_gpus",
                               json::array({region_info("us-central1", "2")}))})}};
  std::vector<std::string> skipped;
  auto qs = read_vertex_gpu_quotas(page, "p", {"us-central1"}, &skipped);
  REQUIRE(qs.size() == 1);
  CHECK(qs[0].limit == 2);
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0].find(kT4) != std::string::npos);
  CHECK_THROWS_AS(read_vertex_gpu_quotas(page, "p", {"us-central1"}), Error);
  json no_infos = {{"quotaInfos", json::array({{{"metric", kT4}}})}};
  CHECK_THROWS_AS(read_vertex_gpu_quotas(no_infos, "p", {"us-central1"}), Error);
  CHECK(read_vertex_gpu_quotas(json::object(), "p", {"us-central1"}).empty());  // empty page
}

TEST_CASE("Vertex quotas: the ListQuotaInfos URL and its endpoint override") {
  config::EnvGetter env = [](const std::string& k) -> std::optional<std::string> {
    if (k == "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDQUOTAS") return "http://127.0.0.1:9/";
    return std::nullopt;
  };
  CHECK(cloudquotas_api_base(nullptr) == "https://cloudquotas.googleapis.com/v1/");
  CHECK(cloudquotas_api_base(env) == "http://127.0.0.1:9/v1/");
  CHECK(list_quota_infos_url("https://q/v1/", "my-proj", "", 50) ==
        "https://q/v1/projects/my-proj/locations/global/services/aiplatform.googleapis.com/"
        "quotaInfos?pageSize=50");
  CHECK(list_quota_infos_url("https://q/v1/", "my-proj", "a/b=", 50) ==
        "https://q/v1/projects/my-proj/locations/global/services/aiplatform.googleapis.com/"
        "quotaInfos?pageSize=50&pageToken=a%2Fb%3D");
}

TEST_CASE("Vertex quota needs, and the cached Vertex quota preferred over Compute's") {
  using namespace mlbox::catalog;
  const auto& cat = builtin_machine_catalog();
  const Machine& t4 = find_machine(cat, "n1-standard-8", "T4", 1);
  CHECK(vertex_quota_need(t4, false)->code == kT4);
  CHECK(vertex_quota_need(t4, true)->code ==
        "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_t4_gpus");
  CHECK(vertex_quota_need(find_machine(cat, "a2-ultragpu-1g"), false)->code ==
        "aiplatform.googleapis.com/custom_model_training_nvidia_a100_80gb_gpus");
  CHECK(vertex_quota_need(find_machine(cat, "a2-highgpu-2g"), false, 3)->amount == 6);
  CHECK_FALSE(vertex_quota_need(find_machine(cat, "g4dn.xlarge"), false));

  PriceCache cache;
  CloudSnapshot gcp;
  gcp.quotas.push_back(
      {"gcp", "us-central1", "NVIDIA_T4_GPUS", "NVIDIA_T4_GPUS", "GPU", 4, 1, "", ""});
  cache.gcp = gcp;
  auto only_compute = match_quota(cache, t4, "us-central1", false, 2);
  REQUIRE(only_compute);
  REQUIRE(only_compute->quota);
  CHECK(only_compute->need.code == "NVIDIA_T4_GPUS");
  cache.gcp->quotas.push_back({"gcp", "us-central1", kT4, "T4", "GPU", 2, std::nullopt, "", ""});
  auto vertex = match_quota(cache, t4, "us-central1", false, 2);
  REQUIRE(vertex);
  REQUIRE(vertex->quota);
  CHECK(vertex->need.code == kT4);
  CHECK(vertex->quota->limit == 2);
  CHECK(vertex->need.amount == 2);
  auto none = match_quota(cache, t4, "europe-west4", false);
  REQUIRE(none);
  CHECK_FALSE(none->quota);
  CHECK(none->need.code == kT4);  // what a Vertex job draws on, though not cached
}
