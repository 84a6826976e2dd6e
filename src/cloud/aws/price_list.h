// The AWS Price List Query API (`pricing` GetProducts, botocore pricing-2017-10-15): the
// request for the Linux, shared-tenancy, on-demand hourly prices of EC2 instance types,
// and the parsing of its PriceList items (each a JSON document sent as a string).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlbox::cloud::aws {

// GetProducts input: AmazonEC2, ANY_OF the instance types and regions, Linux, shared
// tenancy, no pre-installed software, capacity status Used; `next_token` "" on page 1.
nlohmann::json get_products_input(const std::vector<std::string>& instance_types,
                                  const std::vector<std::string>& regions,
                                  const std::string& next_token, int max_results = 100);

struct OnDemandPrice {
  std::string instance_type;
  std::string region;  // regionCode
  double usd_per_hour = 0;
};

// One PriceList item. nullopt when the document is well formed but not an hourly USD
// on-demand price of an instance (another product family, unit or currency); throws
// Error(kRemote) naming the JSON path when it is malformed.
std::optional<OnDemandPrice> parse_price_list_item(const std::string& item);

}  // namespace mlbox::cloud::aws
