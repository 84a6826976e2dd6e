#include <doctest/doctest.h>

#include <string>

#include "cloud/aws/ec2_spot.h"
#include "cloud/aws/price_list.h"
#include "util/error.h"

using namespace mlbox;
using namespace mlbox::cloud::aws;

namespace {

// A Price List document the way GetProducts returns it (abridged to what is read).
std::string item(const std::string& family, const std::string& type, const std::string& region,
                 const std::string& usd, const std::string& unit = "Hrs") {
  return R"({"product": {"productFamily": ")" + family + R"(", "attributes": {"instanceType": ")" +
         type + R"(", "regionCode": ")" + region +
         R"(", "operatingSystem": "Linux"}, "sku": "ABC"}, "serviceCode": "AmazonEC2",
         "terms": {"OnDemand": {"ABC.JRTCKXETXF": {"priceDimensions": {"ABC.JRTCKXETXF.6YS6EN2CT7":
         {"unit": ")" +
         unit + R"(", "pricePerUnit": {"USD": ")" + usd +
         R"("}, "description": "$0.526 per On Demand Linux g4dn.xlarge Instance Hour"}},
         "sku": "ABC", "effectiveDate": "2026-11-01T00:00:00Z"}}}, "version": "20261120"})";
}

}  // namespace

TEST_CASE("GetProducts input: the model's member names, ANY_OF lists, a NextToken after page 1") {
  auto in = get_products_input({"g4dn.xlarge", "p5.48xlarge"}, {"us-east-1", "eu-west-1"}, "");
  CHECK(in["ServiceCode"] == "AmazonEC2");
  CHECK(in["FormatVersion"] == "aws_v1");
  CHECK_FALSE(in.contains("NextToken"));
  CHECK(in["Filters"][0]["Type"] == "ANY_OF");
  CHECK(in["Filters"][0]["Field"] == "instanceType");
  CHECK(in["Filters"][0]["Value"] == "g4dn.xlarge,p5.48xlarge");
  CHECK(in["Filters"][1]["Value"] == "us-east-1,eu-west-1");
  for (const auto& f : in["Filters"]) CHECK(f.size() == 3);  // Type, Field, Value only
  CHECK(get_products_input({"x"}, {"y"}, "tok")["NextToken"] == "tok");
}

TEST_CASE("a price list item: instance type, region and the hourly USD rate") {
  auto p =
      parse_price_list_item(item("Compute Instance", "g4dn.xlarge", "us-east-1", "0.5260000000"));
  REQUIRE(p);
  CHECK(p->instance_type == "g4dn.xlarge");
  CHECK(p->region == "us-east-1");
  CHECK(p->usd_per_hour == doctest::Approx(0.526));
  // Other product families and units are not instance prices.
  CHECK_FALSE(parse_price_list_item(item("Storage", "g4dn.xlarge", "us-east-1", "0.1")));
  CHECK_FALSE(parse_price_list_item(
      item("Compute Instance", "g4dn.xlarge", "us-east-1", "0.1", "Quantity")));
}

TEST_CASE("a malformed price list item throws, naming the JSON path") {
  CHECK_THROWS_WITH_AS(parse_price_list_item("{not json"), doctest::Contains("not JSON"), Error);
  CHECK_THROWS_WITH_AS(
      parse_price_list_item(item("Compute Instance", "g4dn.xlarge", "us-east-1", "abc")),
      doctest::Contains("pricePerUnit.USD"), Error);
  CHECK_THROWS_WITH_AS(parse_price_list_item(R"({"product": {"productFamily": "Compute Instance",
                       "attributes": {"regionCode": "us-east-1"}}, "terms": {}})"),
                       doctest::Contains("instanceType"), Error);
  CHECK_THROWS_WITH_AS(parse_price_list_item(R"({"product": {"productFamily": "Compute Instance",
                       "attributes": {"instanceType": "a", "regionCode": "b"}}, "terms": {"OnDemand": {}}})"),
                       doctest::Contains("no offer term"), Error);
}

TEST_CASE("DescribeSpotPriceHistory: ec2 protocol names, XML items, the next token") {
  auto p = spot_price_history_params({"g4dn.xlarge", "g5.xlarge"}, "2026-12-03T10:00:00Z", "");
  REQUIRE(p.size() == 5);
  CHECK(p[0] == std::pair<std::string, std::string>{"InstanceType.1", "g4dn.xlarge"});
  CHECK(p[1] == std::pair<std::string, std::string>{"InstanceType.2", "g5.xlarge"});
  CHECK(p[2] == std::pair<std::string, std::string>{"ProductDescription.1", "Linux/UNIX"});
  CHECK(p[3].first == "StartTime");
  const std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<DescribeSpotPriceHistoryResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <spotPriceHistorySet>
    <item><instanceType>g4dn.xlarge</instanceType><productDescription>Linux/UNIX</productDescription>
      <spotPrice>0.215300</spotPrice><timestamp>2026-12-03T09:58:00.000Z</timestamp>
      <availabilityZone>us-east-1a</availabilityZone></item>
    <item><instanceType>g5.xlarge</instanceType><spotPrice>not-a-price</spotPrice></item>
    <item><instanceType>g5.xlarge</instanceType><spotPrice>0.4&#48;</spotPrice>
      <availabilityZone>us-east-1b</availabilityZone></item>
  </spotPriceHistorySet>
  <nextToken>abc&amp;def</nextToken>
</DescribeSpotPriceHistoryResponse>)";
  auto page = parse_spot_price_history(xml);
  REQUIRE(page.prices.size() == 1);  // the &#48; price is not a decimal: skipped too
  CHECK(page.prices[0].instance_type == "g4dn.xlarge");
  CHECK(page.prices[0].zone == "us-east-1a");
  CHECK(page.prices[0].usd_per_hour == doctest::Approx(0.2153));
  CHECK(page.malformed == 2);
  CHECK(page.next_token == "abc&def");
  CHECK(parse_spot_price_history(
            "<DescribeSpotPriceHistoryResponse><spotPriceHistorySet/><nextToken/>"
            "</DescribeSpotPriceHistoryResponse>")
            .next_token.empty());
  CHECK_THROWS_AS(parse_spot_price_history("<Response><Errors/></Response>"), Error);
}

TEST_CASE("GetSpotPlacementScores: one type, up to 10 regions, scores 1-10 kept") {
  std::vector<std::string> regions;
  for (int i = 0; i < 12; ++i) regions.push_back("r" + std::to_string(i));
  auto p = spot_placement_scores_params("p4d.24xlarge", regions, "");
  CHECK(p.size() == 3 + 10);
  CHECK(p[1] == std::pair<std::string, std::string>{"TargetCapacity", "1"});
  auto page = parse_spot_placement_scores(
      "<GetSpotPlacementScoresResponse><spotPlacementScoreSet>"
      "<item><region>us-east-1</region><score>9</score></item>"
      "<item><region>us-west-2</region><score>11</score></item>"
      "</spotPlacementScoreSet></GetSpotPlacementScoresResponse>");
  REQUIRE(page.scores.size() == 1);
  CHECK(page.scores[0].region == "us-east-1");
  CHECK(page.scores[0].score == 9);
}

TEST_CASE("xml_items does not take <itemSet> for <item> and handles nesting") {
  auto items = xml_items(
      "<set><item><a>1</a><item>x</item></item><itemSet>no</itemSet>"
      "<item><a>2</a></item></set>",
      "set");
  REQUIRE(items.size() == 2);
  CHECK(items[0] == "<a>1</a><item>x</item>");
  CHECK(xml_child_text(items[1], "a") == "2");
}
