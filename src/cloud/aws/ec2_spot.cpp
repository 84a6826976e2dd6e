#include "cloud/aws/ec2_spot.h"

#include <fmt/format.h>

#include "util/error.h"
#include "util/numbers.h"

namespace mlbox::cloud::aws {

namespace {

std::string xml_unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    static const std::pair<std::string_view, char> kEntities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    bool done = false;
    for (const auto& [entity, c] : kEntities) {
      if (s.substr(i, entity.size()) == entity) {
        out += c;
        i += entity.size() - 1;
        done = true;
        break;
      }
    }
    if (!done) out += '&';
  }
  return out;
}

// [start of contents, end of contents) of the first <name> element at or after `from`
// (<name/> counts, with empty contents); npos when none.
std::pair<size_t, size_t> element(std::string_view xml, std::string_view name, size_t from = 0) {
  std::string open = fmt::format("<{}", name), close = fmt::format("</{}>", name);
  for (size_t a = xml.find(open, from); a != std::string_view::npos; a = xml.find(open, a + 1)) {
    size_t after = a + open.size();
    if (after >= xml.size()) break;
    char c = xml[after];
    if (c != '>' && c != ' ' && c != '/') continue;  // <itemSet> is not <item>
    size_t gt = xml.find('>', after);
    if (gt == std::string_view::npos) break;
    if (xml[gt - 1] == '/') return {gt + 1, gt + 1};
    // Nested elements of the same name: count depth.
    int depth = 1;
    size_t pos = gt + 1;
    while (depth > 0) {
      size_t next_open = xml.find(open, pos), next_close = xml.find(close, pos);
      if (next_close == std::string_view::npos) return {std::string_view::npos, 0};
      if (next_open != std::string_view::npos && next_open < next_close) {
        size_t o = next_open + open.size();
        if (o < xml.size() && (xml[o] == '>' || xml[o] == ' ')) ++depth;
        pos = o;
      } else {
        if (--depth == 0) return {gt + 1, next_close};
        pos = next_close + close.size();
      }
    }
  }
  return {std::string_view::npos, 0};
}

void expect_response(std::string_view xml, std::string_view name) {
  if (xml.find(fmt::format("<{}", name)) == std::string_view::npos) {
    throw Error(ErrorKind::kRemote,
                fmt::format("EC2 answered without a <{}> element: {}", name,
                            std::string(xml.substr(0, 200))),
                "check the EC2 endpoint (AWS_ENDPOINT_URL_EC2 when set)");
  }
}

}  // namespace

std::optional<std::string> xml_child_text(std::string_view xml, std::string_view name) {
  auto [a, b] = element(xml, name);
  if (a == std::string_view::npos) return std::nullopt;
  return xml_unescape(xml.substr(a, b - a));
}

std::vector<std::string> xml_items(std::string_view xml, std::string_view list_name) {
  std::vector<std::string> out;
  auto [a, b] = element(xml, list_name);
  if (a == std::string_view::npos) return out;
  std::string_view list = xml.substr(a, b - a);
  size_t pos = 0;
  while (true) {
    auto [s, e] = element(list, "item", pos);
    if (s == std::string_view::npos) break;
    out.emplace_back(list.substr(s, e - s));
    pos = e + 7;  // past "</item>"
    if (pos > list.size()) break;
  }
  return out;
}

QueryParams spot_price_history_params(const std::vector<std::string>& instance_types,
                                      const std::string& now_rfc3339, const std::string& next_token,
                                      int max_results) {
  QueryParams p;
  for (size_t i = 0; i < instance_types.size(); ++i) {
    p.emplace_back(fmt::format("InstanceType.{}", i + 1), instance_types[i]);
  }
  p.emplace_back("ProductDescription.1", "Linux/UNIX");
  p.emplace_back("StartTime", now_rfc3339);
  p.emplace_back("MaxResults", std::to_string(max_results));
  if (!next_token.empty()) p.emplace_back("NextToken", next_token);
  return p;
}

SpotPricePage parse_spot_price_history(const std::string& xml) {
  expect_response(xml, "DescribeSpotPriceHistoryResponse");
  SpotPricePage page;
  for (const auto& item : xml_items(xml, "spotPriceHistorySet")) {
    auto type = xml_child_text(item, "instanceType");
    auto zone = xml_child_text(item, "availabilityZone");
    double price = -1;  // not a price until read
    if (auto text = xml_child_text(item, "spotPrice")) {
      if (auto v = parse_decimal_double(*text)) price = *v;
    }
    if (!type || type->empty() || price < 0) {
      ++page.malformed;
      continue;
    }
    page.prices.push_back({*type, zone.value_or(""), price});
  }
  page.next_token = xml_child_text(xml, "nextToken").value_or("");
  return page;
}

QueryParams spot_placement_scores_params(const std::string& instance_type,
                                         const std::vector<std::string>& regions,
                                         const std::string& next_token) {
  QueryParams p = {{"InstanceType.1", instance_type},
                   {"TargetCapacity", "1"},
                   {"TargetCapacityUnitType", "units"}};
  for (size_t i = 0; i < regions.size() && i < 10; ++i) {
    p.emplace_back(fmt::format("RegionName.{}", i + 1), regions[i]);
  }
  if (!next_token.empty()) p.emplace_back("NextToken", next_token);
  return p;
}

PlacementScorePage parse_spot_placement_scores(const std::string& xml) {
  expect_response(xml, "GetSpotPlacementScoresResponse");
  PlacementScorePage page;
  for (const auto& item : xml_items(xml, "spotPlacementScoreSet")) {
    auto region = xml_child_text(item, "region");
    auto score_text = xml_child_text(item, "score");
    auto score = score_text ? parse_i64(*score_text) : std::nullopt;
    if (!region || !score || *score < 1 || *score > 10) continue;
    page.scores.push_back({*region, static_cast<int>(*score)});
  }
  page.next_token = xml_child_text(xml, "nextToken").value_or("");
  return page;
}

}  // namespace mlbox::cloud::aws
