#include "cloud/gcp/vertex_quotas.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "catalog/machine_quota.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/strings.h"

namespace mlbox::cloud::gcp {

namespace {

constexpr std::string_view kTrainingPrefix = "aiplatform.googleapis.com/custom_model_training_";

// QuotaDetails.value is an int64: a JSON string (or a number from lenient encoders);
// absent means 0 (proto3 default).
double detail_value(const nlohmann::json& info, const std::string& metric) {
  if (!info.contains("details")) return 0;
  const auto& d = info["details"];
  if (!d.is_object()) throw Error(ErrorKind::kRemote, metric + ": details is not an object");
  if (!d.contains("value")) return 0;
  const auto& v = d["value"];
  if (v.is_number_integer()) return static_cast<double>(v.get<int64_t>());
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    std::size_t used = 0;
    try {
      long long n = std::stoll(s, &used);
      if (used == s.size()) return static_cast<double>(n);
    } catch (const std::exception&) {
    }
  }
  throw Error(ErrorKind::kRemote,
              fmt::format("{}: details.value {} is not an int64", metric, v.dump()));
}

std::optional<std::string> region_of(const nlohmann::json& info, const std::string& metric) {
  if (!info.contains("dimensions")) return std::nullopt;
  const auto& dims = info["dimensions"];
  if (!dims.is_object()) throw Error(ErrorKind::kRemote, metric + ": dimensions is not a map");
  if (!dims.contains("region")) return std::nullopt;
  if (!dims["region"].is_string()) {
    throw Error(ErrorKind::kRemote, metric + ": dimensions.region is not a string");
  }
  return dims["region"].get<std::string>();
}

std::vector<catalog::Quota> read_one(const nlohmann::json& qi, const std::string& metric,
                                     const std::string& project,
                                     const std::vector<std::string>& regions) {
  std::vector<catalog::Quota> out;
  if (!qi.contains("dimensionsInfos") || !qi["dimensionsInfos"].is_array()) {
    throw Error(ErrorKind::kRemote, metric + ": no dimensionsInfos list");
  }
  std::optional<double> fallback;
  std::vector<std::pair<std::string, double>> by_region;
  for (const auto& info : qi["dimensionsInfos"]) {
    if (!info.is_object()) {
      throw Error(ErrorKind::kRemote, metric + ": a dimensionsInfo is not an object");
    }
    double value = detail_value(info, metric);
    if (auto r = region_of(info, metric)) {
      by_region.emplace_back(*r, value);
    } else if (!fallback) {
      fallback = value;
    }
  }
  std::string name = qi.contains("quotaDisplayName") && qi["quotaDisplayName"].is_string()
                         ? qi["quotaDisplayName"].get<std::string>()
                         : metric;
  for (const auto& region : regions) {
    std::optional<double> limit = fallback;
    for (const auto& [r, v] : by_region) {
      if (r == region) limit = v;
    }
    if (!limit) continue;
    catalog::Quota q;
    q.cloud = "gcp";
    q.region = region;
    q.code = metric;
    q.name = name.empty() ? metric : name;
    q.unit = "GPU";
    q.limit = *limit;
    q.raise_url = catalog::gcp_quota_console_url(project, metric);
    q.project = project;
    out.push_back(std::move(q));
  }
  return out;
}

}  // namespace

std::string cloudquotas_api_base(const config::EnvGetter& env) {
  std::string base = "https://cloudquotas.googleapis.com/";
  if (auto o = env ? env("CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDQUOTAS") : std::nullopt;
      o && !o->empty()) {
    base = *o;
  }
  if (!ends_with(base, "/")) base += "/";
  if (!ends_with(base, "/v1/")) base += "v1/";
  return base;
}

std::string list_quota_infos_url(const std::string& base, const std::string& project,
                                 const std::string& page_token, int page_size) {
  std::string url = fmt::format("{}projects/{}/locations/global/services/{}/quotaInfos?pageSize={}",
                                base, percent_encode(project), kVertexService, page_size);
  if (!page_token.empty()) url += "&pageToken=" + percent_encode(page_token);
  return url;
}

std::vector<catalog::Quota> read_vertex_gpu_quotas(const nlohmann::json& page,
                                                   const std::string& project,
                                                   const std::vector<std::string>& regions,
                                                   std::vector<std::string>* skipped) {
  std::vector<catalog::Quota> out;
  if (!page.is_object() || !page.contains("quotaInfos")) return out;
  if (!page["quotaInfos"].is_array()) {
    throw Error(ErrorKind::kRemote, "ListQuotaInfos: quotaInfos is not a list");
  }
  for (const auto& qi : page["quotaInfos"]) {
    if (!qi.is_object() || !qi.contains("metric") || !qi["metric"].is_string()) continue;
    const std::string metric = qi["metric"].get<std::string>();
    if (!starts_with(metric, kTrainingPrefix) || !ends_with(metric, "_gpus")) continue;
    try {
      auto quotas = read_one(qi, metric, project, regions);
      out.insert(out.end(), quotas.begin(), quotas.end());
    } catch (const Error& e) {
      if (!skipped) throw;
      skipped->push_back(e.what());
    }
  }
  return out;
}

std::vector<catalog::Quota> fetch_vertex_gpu_quotas(GoogleApi& api, const config::EnvGetter& env,
                                                    const std::string& project,
                                                    const std::vector<std::string>& regions,
                                                    std::vector<std::string>* skipped) {
  const std::string base = cloudquotas_api_base(env);
  std::vector<catalog::Quota> out;
  std::string token;
  int pages = 0;
  do {
    if (++pages > 1000) throw Error(ErrorKind::kRemote, "ListQuotaInfos: over 1000 pages");
    nlohmann::json page = api.call("GET", list_quota_infos_url(base, project, token));
    auto quotas = read_vertex_gpu_quotas(page, project, regions, skipped);
    out.insert(out.end(), quotas.begin(), quotas.end());
    token = page.contains("nextPageToken") && page["nextPageToken"].is_string()
                ? page["nextPageToken"].get<std::string>()
                : "";
  } while (!token.empty());
  return out;
}

}  // namespace mlbox::cloud::gcp
