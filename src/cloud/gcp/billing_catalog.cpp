#include "cloud/gcp/billing_catalog.h"

#include <algorithm>
#include <cstring>
#include <regex>
#include <tuple>

#include <fmt/format.h>

#include "dockerfile/cuda_matrix.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/numbers.h"
#include "util/strings.h"

namespace mlbox::cloud::gcp {

using nlohmann::json;

std::string cloudbilling_api_base(const config::EnvGetter& env) {
  std::string base = "https://cloudbilling.googleapis.com/";
  if (auto o = env ? env("CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDBILLING") : std::nullopt;
      o && !o->empty()) {
    base = *o;
  }
  if (!ends_with(base, "/")) base += "/";
  if (!ends_with(base, "/v1/")) base += "v1/";
  return base;
}

std::string list_skus_url(const std::string& base, const std::string& service,
                          const std::string& page_token, int page_size) {
  std::string url = fmt::format("{}services/{}/skus?currencyCode=USD&pageSize={}", base,
                                percent_encode(service), page_size);
  if (!page_token.empty()) url += "&pageToken=" + percent_encode(page_token);
  return url;
}

namespace {

// A string member, or `fallback` when it is missing or not a string (answers are outside
// input: json::value() would throw a type_error on a number).
std::string text_of(const nlohmann::json& obj, const char* key, const std::string& fallback = "") {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : fallback;
}

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::kRemote, fmt::format("{}: {}", path, what));
}

// "Nvidia Tesla A100 80GB" -> "A100-80GB"; "Nvidia H100 80GB" -> "H100"; "Nvidia L4" -> "L4".
std::string gpu_key(std::string model) {
  for (const char* word : {"Nvidia ", "NVIDIA ", "Tesla "}) {
    if (auto p = model.find(word); p != std::string::npos) model.erase(p, std::strlen(word));
  }
  static const std::regex kSize(R"(^(H100|H200|B200)( Mega)? \d+GB$)");
  std::smatch m;
  if (std::regex_match(model, m, kSize)) return m[1].str() + (m[2].matched ? "-MEGA" : "");
  std::replace(model.begin(), model.end(), ' ', '-');
  return model;
}

}  // namespace

double money_usd(const json& money, const std::string& path) {
  if (!money.is_object()) bad(path, "expected a Money object");
  std::string currency = text_of(money, "currencyCode");
  if (currency != "USD") bad(path + ".currencyCode", "'" + currency + "' is not USD");
  int64_t units = 0;
  if (money.contains("units")) {
    const json& u = money["units"];
    std::optional<int64_t> v;
    if (u.is_string()) v = parse_i64(u.get<std::string>());
    if (u.is_number_integer()) v = u.get<int64_t>();
    if (!v) bad(path + ".units", "not an int64: " + u.dump());
    units = *v;
  }
  int64_t nanos = 0;
  if (money.contains("nanos")) {
    if (!money["nanos"].is_number_integer()) bad(path + ".nanos", "not an integer");
    nanos = money["nanos"].get<int64_t>();
    if (nanos <= -1000000000 || nanos >= 1000000000) bad(path + ".nanos", "out of range");
  }
  double usd = static_cast<double>(units) + static_cast<double>(nanos) / 1e9;
  if (usd < 0) bad(path, "negative price");
  return usd;
}

std::optional<SkuRate> read_sku(const json& sku) {
  if (!sku.is_object()) return std::nullopt;
  std::string desc = text_of(sku, "description");
  std::string usage = sku.contains("category") ? text_of(sku["category"], "usageType") : "";
  if (usage != "OnDemand" && usage != "Preemptible") return std::nullopt;

  static const std::regex kGpu(
      R"(^(?:Spot Preemptible |Preemptible )?(Nvidia [A-Za-z0-9 ]+?) GPU running in .+$)");
  static const std::regex kPart(
      R"(^(?:Spot Preemptible |Preemptible )?([A-Z][A-Z0-9]*) (?:Predefined )?Instance (Core|Ram) running in .+$)");
  SkuRate r;
  r.spot = usage == "Preemptible";
  std::smatch m;
  std::string expected_unit;
  if (std::regex_match(desc, m, kGpu)) {
    r.kind = SkuRate::Kind::kGpu;
    r.key = gpu_key(m[1].str());
    expected_unit = "h";
  } else if (std::regex_match(desc, m, kPart)) {
    r.kind = m[2].str() == "Core" ? SkuRate::Kind::kCore : SkuRate::Kind::kRam;
    r.key = to_lower(m[1].str());
    expected_unit = r.kind == SkuRate::Kind::kCore ? "h" : "GiBy.h";
  } else {
    return std::nullopt;
  }
  std::string where = fmt::format("SKU {} ({})", text_of(sku, "skuId", "?"), desc);
  if (!sku.contains("serviceRegions") || !sku["serviceRegions"].is_array()) {
    bad(where, "no serviceRegions");
  }
  for (const auto& region : sku["serviceRegions"]) {
    if (region.is_string()) r.regions.push_back(region.get<std::string>());
  }
  if (!sku.contains("pricingInfo") || !sku["pricingInfo"].is_array() ||
      sku["pricingInfo"].empty()) {
    bad(where, "no pricingInfo");
  }
  // The latest pricing is the last of the timeline.
  const json& info = sku["pricingInfo"].back();
  if (!info.is_object() || !info.contains("pricingExpression")) {
    bad(where, "pricingInfo without a pricingExpression");
  }
  const json& expr = info["pricingExpression"];
  std::string unit = text_of(expr, "usageUnit");
  if (unit != expected_unit) {
    bad(where, fmt::format("usageUnit '{}', expected '{}'", unit, expected_unit));
  }
  if (!expr.contains("tieredRates") || !expr["tieredRates"].is_array() ||
      expr["tieredRates"].empty()) {
    bad(where, "no tieredRates");
  }
  // The rate from the first unit of use (start_usage_amount 0).
  const json& tier = expr["tieredRates"][0];
  if (!tier.is_object() || !tier.contains("unitPrice")) bad(where, "a tier without a unitPrice");
  r.usd = money_usd(tier["unitPrice"], where + " unitPrice");
  return r;
}

void ComputeRates::add(const SkuRate& r) {
  for (const auto& region : r.regions) rate[{r.kind, r.key, r.spot, region}] = r.usd;
}

std::optional<double> ComputeRates::find(SkuRate::Kind kind, const std::string& key, bool spot,
                                         const std::string& region) const {
  auto it = rate.find({kind, key, spot, region});
  if (it == rate.end()) return std::nullopt;
  return it->second;
}

std::vector<catalog::LivePrice> compose_gcp_prices(const catalog::MachineCatalog& catalog,
                                                   const ComputeRates& rates,
                                                   const std::vector<std::string>& regions) {
  using dockerfile::normalize_gpu_name;
  // GPU keys of the SKUs, normalised the way the catalog's are.
  std::map<std::string, std::string> gpu_keys;
  for (const auto& [k, v] : rates.rate) {
    if (std::get<0>(k) == SkuRate::Kind::kGpu)
      gpu_keys[normalize_gpu_name(std::get<1>(k))] = std::get<1>(k);
  }
  std::vector<catalog::LivePrice> out;
  for (const auto& m : catalog.machines) {
    if (m.cloud != "gcp") continue;
    std::string family = m.name.substr(0, m.name.find('-'));
    std::string gpu;
    if (m.gpu_count > 0) {
      auto it = gpu_keys.find(normalize_gpu_name(m.gpu));
      if (it == gpu_keys.end()) continue;
      gpu = it->second;
    }
    for (const auto& rp : m.prices) {
      if (!regions.empty() &&
          std::find(regions.begin(), regions.end(), rp.region) == regions.end()) {
        continue;
      }
      auto price = [&](bool spot) -> std::optional<double> {
        auto core = rates.find(SkuRate::Kind::kCore, family, spot, rp.region);
        auto ram = rates.find(SkuRate::Kind::kRam, family, spot, rp.region);
        if (!core || !ram) return std::nullopt;
        double usd = *core * m.vcpu + *ram * m.memory_gib;
        if (m.gpu_count > 0) {
          auto g = rates.find(SkuRate::Kind::kGpu, gpu, spot, rp.region);
          if (!g) return std::nullopt;
          usd += *g * m.gpu_count;
        }
        return usd;
      };
      catalog::LivePrice p;
      p.cloud = "gcp";
      p.machine = m.name;
      p.gpu = m.gpu;
      p.gpu_count = m.gpu_count;
      p.region = rp.region;
      p.on_demand = price(false);
      if (!p.on_demand) continue;
      p.spot = price(true);
      out.push_back(std::move(p));
    }
  }
  return out;
}

}  // namespace mlbox::cloud::gcp
