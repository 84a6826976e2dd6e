#include "cloud/aws/aws_machine_prices.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "catalog/machine_quota.h"
#include "cloud/aws/aws_client.h"
#include "cloud/aws/credential_chain.h"
#include "cloud/aws/ec2_instances.h"
#include "cloud/aws/ec2_spot.h"
#include "cloud/aws/price_list.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/utc_time.h"

namespace mlbox::cloud::aws {

namespace {

// The Price List Query API answers in us-east-1 (also eu-central-1, ap-south-1).
constexpr const char* kPricingRegion = "us-east-1";

struct Target {
  std::set<std::string> types;                             // every AWS type priced
  std::map<std::string, std::set<std::string>> by_region;  // region -> types sold there
  std::set<std::string> gpu_types;
};

Target targets(const catalog::MachineCatalog& catalog, const std::vector<std::string>& regions) {
  Target t;
  for (const auto& m : catalog.machines) {
    if (m.cloud != "aws") continue;
    for (const auto& p : m.prices) {
      if (!regions.empty() &&
          std::find(regions.begin(), regions.end(), p.region) == regions.end()) {
        continue;
      }
      t.types.insert(m.name);
      t.by_region[p.region].insert(m.name);
      if (m.gpu_count > 0) t.gpu_types.insert(m.name);
    }
  }
  return t;
}

// A filter Value holds at most 1024 characters (pricing model shape Value): the types in
// comma-separated runs that fit.
std::vector<std::vector<std::string>> value_chunks(const std::set<std::string>& all) {
  std::vector<std::vector<std::string>> out(1);
  size_t length = 0;
  for (const auto& t : all) {
    if (!out.back().empty() && length + 1 + t.size() > 1024) {
      out.emplace_back();
      length = 0;
    }
    length += (out.back().empty() ? 0 : 1) + t.size();
    out.back().push_back(t);
  }
  return out;
}

std::vector<std::string> keys(const std::map<std::string, std::set<std::string>>& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}

}  // namespace

catalog::CloudSnapshot fetch_aws_machine_prices(net::HttpClient& http, const config::EnvGetter& env,
                                                const catalog::MachineCatalog& catalog,
                                                const AwsPriceRequest& request,
                                                Observer& observer) {
  AwsCredentialChain chain(http, env);
  auto creds = [&chain] { return chain.credentials(); };
  chain.credentials();  // no credentials: Error(kAuth) before anything is sent
  const AwsConfigChain& config = chain.config();
  Target target = targets(catalog, request.regions);

  catalog::CloudSnapshot snap;
  snap.fetched_at = utc_now_rfc3339();
  std::map<std::pair<std::string, std::string>, catalog::LivePrice> prices;  // (type, region)

  // 1. On-demand: GetProducts pages.
  AwsClient pricing(http, pricing_service(), creds, kPricingRegion,
                    config.endpoint(pricing_service(), kPricingRegion));
  int pages = 0;
  for (const auto& types : value_chunks(target.types)) {
    std::string token;
    do {
      nlohmann::json out = pricing.call_json(
          "GetProducts", get_products_input(types, keys(target.by_region), token));
      ++pages;
      if (out.contains("PriceList") && out["PriceList"].is_array()) {
        for (const auto& item : out["PriceList"]) {
          try {
            if (!item.is_string()) throw Error(ErrorKind::kRemote, "price list item: not a string");
            auto p = parse_price_list_item(item.get<std::string>());
            if (!p || !target.types.count(p->instance_type)) continue;
            auto& lp = prices[{p->instance_type, p->region}];
            lp.cloud = "aws";
            lp.machine = p->instance_type;
            lp.region = p->region;
            lp.on_demand = p->usd_per_hour;
          } catch (const Error& e) {
            ++snap.skipped;
            observer.debug(fmt::format("skipped a price document: {}", e.what()));
          }
        }
      }
      token = out.contains("NextToken") && out["NextToken"].is_string()
                  ? out["NextToken"].get<std::string>()
                  : "";
    } while (!token.empty());
  }
  observer.debug(fmt::format("AWS Price List: {} page(s), {} prices", pages, prices.size()));

  // 2. Spot: DescribeSpotPriceHistory per region, the cheapest zone's price now.
  std::string now = utc_now_rfc3339();
  for (const auto& [region, region_types] : target.by_region) {
    AwsClient ec2(http, ec2_service(), creds, region, config.endpoint(ec2_service(), region));
    std::vector<std::string> rt(region_types.begin(), region_types.end());
    std::string next;
    do {
      SpotPricePage page = parse_spot_price_history(ec2.call_query(
          "DescribeSpotPriceHistory", kEc2ApiVersion, spot_price_history_params(rt, now, next)));
      snap.skipped += page.malformed;
      for (const auto& sp : page.prices) {
        auto it = prices.find({sp.instance_type, region});
        if (it == prices.end()) continue;  // no on-demand price: not offered there
        if (!it->second.spot || sp.usd_per_hour < *it->second.spot) {
          it->second.spot = sp.usd_per_hour;
        }
      }
      next = page.next_token;
    } while (!next.empty());
  }
  for (auto& [key, p] : prices) snap.prices.push_back(std::move(p));
  snap.source = "AWS Price List API (GetProducts) + EC2 DescribeSpotPriceHistory";

  // 3. Quotas: Service Quotas per region. Refusals (no permission) leave them out.
  for (const auto& region : request.quota_regions) {
    AwsClient sq(http, service_quotas_service(), creds, region,
                 config.endpoint(service_quotas_service(), region));
    std::vector<std::string> unread;
    for (const auto& c : catalog::aws_quota_codes()) {
      try {
        nlohmann::json out =
            sq.call_json("GetServiceQuota", {{"ServiceCode", "ec2"}, {"QuotaCode", c.code}});
        const auto& q = out.at("Quota");
        catalog::Quota quota;
        quota.cloud = "aws";
        quota.region = region;
        quota.code = c.code;
        quota.name = q.contains("QuotaName") && q["QuotaName"].is_string()
                         ? q["QuotaName"].get<std::string>()
                         : c.name;
        quota.unit = "vCPU";
        quota.limit = q.at("Value").get<double>();
        quota.raise_url = catalog::aws_quota_console_url(region, c.code);
        snap.quotas.push_back(std::move(quota));
      } catch (const AwsError& e) {
        observer.debug(e.what());
        unread.push_back(fmt::format("{} ({})", c.code, e.code().empty() ? "no answer" : e.code()));
        if (e.kind() == ErrorKind::kAuth) break;  // the same refusal for every code
      } catch (const Error& e) {
        observer.debug(e.what());
        unread.push_back(fmt::format("{} (refused)", c.code));
      } catch (const nlohmann::json::exception& e) {
        unread.push_back(fmt::format("{} (unexpected answer: {})", c.code, e.what()));
      }
    }
    if (!unread.empty()) {
      observer.warn(fmt::format("AWS quotas in {} not read: {} (--verbose says more)", region,
                                join(unread, ", ")));
    }
    // USED: Service Quotas do not say; the region's pending and running instances do.
    if (std::any_of(snap.quotas.begin(), snap.quotas.end(),
                    [&](const catalog::Quota& q) { return q.region == region; })) {
      try {
        std::map<std::string, double> used;
        AwsClient ec2(http, ec2_service(), creds, region, config.endpoint(ec2_service(), region));
        std::string next;
        do {
          RunningInstancePage page = parse_running_instances(
              ec2.call_query("DescribeInstances", kEc2ApiVersion, running_instances_params(next)));
          for (const auto& i : page.instances) {
            if (auto code = catalog::aws_quota_code(i.instance_type, i.spot))
              used[*code] += i.vcpus;
          }
          if (page.malformed > 0) {
            observer.warn(
                fmt::format("{} instance(s) in {} without a type or CPU options were "
                            "not counted in quota usage",
                            page.malformed, region));
          }
          next = page.next_token;
        } while (!next.empty());
        for (auto& q : snap.quotas) {
          if (q.region == region) q.used = used[q.code];
        }
      } catch (const Error& e) {
        observer.warn(
            fmt::format("AWS quota usage in {} not read (USED unknown): {}", region,
                        std::string(e.what()).substr(0, std::string(e.what()).find('\n'))));
      }
    }
  }
  if (!request.quota_regions.empty()) snap.source += " + Service Quotas";

  // 4. Spot placement scores, one call per GPU type over (up to 10 of) its regions.
  if (request.spot_scores && !target.gpu_types.empty()) {
    std::string home = request.quota_regions.empty() ? kPricingRegion : request.quota_regions[0];
    AwsClient ec2(http, ec2_service(), creds, home, config.endpoint(ec2_service(), home));
    try {
      for (const auto& type : target.gpu_types) {
        std::vector<std::string> regions;
        for (const auto& [region, rt] : target.by_region) {
          if (rt.count(type) && regions.size() < 10) regions.push_back(region);
        }
        std::string next;
        do {
          PlacementScorePage page = parse_spot_placement_scores(
              ec2.call_query("GetSpotPlacementScores", kEc2ApiVersion,
                             spot_placement_scores_params(type, regions, next)));
          for (const auto& s : page.scores) snap.scores.push_back({type, s.region, s.score});
          next = page.next_token;
        } while (!next.empty());
      }
      snap.source += " + GetSpotPlacementScores";
    } catch (const Error& e) {
      snap.scores.clear();
      observer.warn(fmt::format("AWS spot placement scores not read: {}", e.what()));
    }
  }
  return snap;
}

}  // namespace mlbox::cloud::aws
