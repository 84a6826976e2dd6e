// EC2 (ec2 query protocol, botocore ec2-2016-11-15) requests for spot prices and spot
// capacity: DescribeSpotPriceHistory (the current price per zone) and
// GetSpotPlacementScores (1-10 per region). Parameters are the model's serialised names
// (locationName capitalised, lists flattened as Name.N); answers are XML with <item> lists.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlbox::cloud::aws {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

inline constexpr const char* kEc2ApiVersion = "2016-11-15";

// Linux/UNIX spot prices of `instance_types` now (StartTime = `now_rfc3339`), one page.
QueryParams spot_price_history_params(const std::vector<std::string>& instance_types,
                                      const std::string& now_rfc3339, const std::string& next_token,
                                      int max_results = 1000);

struct SpotPricePoint {
  std::string instance_type;
  std::string zone;
  double usd_per_hour = 0;
};
struct SpotPricePage {
  std::vector<SpotPricePoint> prices;
  std::string next_token;
  int malformed = 0;  // <item>s without a type or a numeric price (skipped)
};
// Throws Error(kRemote) when the answer is not a DescribeSpotPriceHistoryResponse.
SpotPricePage parse_spot_price_history(const std::string& xml);

// Scores for one instance of `instance_type` in each of `regions` (at most 10).
QueryParams spot_placement_scores_params(const std::string& instance_type,
                                         const std::vector<std::string>& regions,
                                         const std::string& next_token);
struct PlacementScore {
  std::string region;
  int score = 0;
};
struct PlacementScorePage {
  std::vector<PlacementScore> scores;
  std::string next_token;
};
PlacementScorePage parse_spot_placement_scores(const std::string& xml);

// The text of the first <name>...</name> in `xml` (entities decoded); nullopt when absent.
std::optional<std::string> xml_child_text(std::string_view xml, std::string_view name);
// The contents of each <item> directly inside the first <list_name> element.
std::vector<std::string> xml_items(std::string_view xml, std::string_view list_name);

}  // namespace mlbox::cloud::aws
