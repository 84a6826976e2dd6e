#include "cloud/aws/price_list.h"

#include <fmt/format.h>

#include "util/error.h"
#include "util/numbers.h"
#include "util/strings.h"

namespace mlbox::cloud::aws {

using nlohmann::json;

json get_products_input(const std::vector<std::string>& instance_types,
                        const std::vector<std::string>& regions, const std::string& next_token,
                        int max_results) {
  auto term = [](const char* field, const std::string& value) {
    return json{{"Type", "TERM_MATCH"}, {"Field", field}, {"Value", value}};
  };
  json filters = json::array({
      json{{"Type", "ANY_OF"}, {"Field", "instanceType"}, {"Value", join(instance_types, ",")}},
      json{{"Type", "ANY_OF"}, {"Field", "regionCode"}, {"Value", join(regions, ",")}},
      term("operatingSystem", "Linux"),
      term("tenancy", "Shared"),
      term("preInstalledSw", "NA"),
      term("capacitystatus", "Used"),
  });
  json in = {{"ServiceCode", "AmazonEC2"},
             {"Filters", filters},
             {"FormatVersion", "aws_v1"},
             {"MaxResults", max_results}};
  if (!next_token.empty()) in["NextToken"] = next_token;
  return in;
}

namespace {

// A string member, or `fallback` when it is missing or not a string (answers are outside
// input: json::value() would throw a type_error on a number).
std::string text_of(const nlohmann::json& obj, const char* key, const std::string& fallback = "") {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : fallback;
}

[[noreturn]] void malformed(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::kRemote, fmt::format("price list item: {}: {}", path, what));
}

const json& need(const json& obj, const std::string& path, const char* key) {
  if (!obj.is_object()) malformed(path, "expected an object");
  auto it = obj.find(key);
  if (it == obj.end()) malformed(path, fmt::format("missing '{}'", key));
  return *it;
}

std::string need_string(const json& obj, const std::string& path, const char* key) {
  const json& v = need(obj, path, key);
  if (!v.is_string()) malformed(path + "." + key, "expected a string");
  return v.get<std::string>();
}

}  // namespace

std::optional<OnDemandPrice> parse_price_list_item(const std::string& item) {
  json doc = json::parse(item, nullptr, false);
  if (doc.is_discarded()) malformed("$", "not JSON");
  const json& product = need(doc, "$", "product");
  const json& attrs = need(product, "$.product", "attributes");
  std::string family = text_of(product, "productFamily");
  if (family != "Compute Instance" && family != "Compute Instance (bare metal)") {
    return std::nullopt;
  }
  OnDemandPrice out;
  out.instance_type = need_string(attrs, "$.product.attributes", "instanceType");
  out.region = need_string(attrs, "$.product.attributes", "regionCode");
  const json& terms = need(doc, "$", "terms");
  const json& on_demand = need(terms, "$.terms", "OnDemand");
  if (!on_demand.is_object() || on_demand.empty()) malformed("$.terms.OnDemand", "no offer term");
  std::optional<double> price;
  for (const auto& [term_code, term] : on_demand.items()) {
    std::string tpath = "$.terms.OnDemand." + term_code;
    const json& dims = need(term, tpath, "priceDimensions");
    if (!dims.is_object()) malformed(tpath + ".priceDimensions", "expected an object");
    for (const auto& [rate_code, dim] : dims.items()) {
      std::string dpath = tpath + ".priceDimensions." + rate_code;
      if (need_string(dim, dpath, "unit") != "Hrs") continue;
      const json& per_unit = need(dim, dpath, "pricePerUnit");
      std::string usd = need_string(per_unit, dpath + ".pricePerUnit", "USD");
      auto value = parse_decimal_double(usd);
      if (!value || *value < 0)
        malformed(dpath + ".pricePerUnit.USD", "'" + usd + "' is not a price");
      // Several hourly dimensions would be tiers; the instance's rate is the first one.
      if (!price) price = *value;
    }
  }
  if (!price) return std::nullopt;
  out.usd_per_hour = *price;
  return out;
}

}  // namespace mlbox::cloud::aws
