#include "backends/machine_prices_refresh.h"

#include <algorithm>

#include <fmt/format.h>

#include "cloud/aws/aws_machine_prices.h"
#include "cloud/gcp/adc.h"
#include "cloud/gcp/gcp_machine_prices.h"
#include "cloud/gcp/google_api.h"
#include "net/http_client.h"
#include "util/error.h"
#include "util/strings.h"

namespace mlbox::backends {

std::vector<std::string> closest_regions(const std::string& region,
                                         const std::vector<std::string>& known) {
  std::vector<std::pair<size_t, std::string>> scored;
  for (const auto& k : known) scored.emplace_back(edit_distance(region, k), k);
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < 3; ++i) out.push_back(scored[i].second);
  return out;
}

namespace {

std::string kept(const catalog::PriceCache& cache, const std::string& cloud,
                 const catalog::MachineCatalog& base) {
  if (const auto* s = cache.cloud(cloud)) {
    return fmt::format("showing the cached prices of {}", s->fetched_at);
  }
  return fmt::format("showing the embedded table (list prices as of {})", base.prices_as_of);
}

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

}  // namespace

PriceRefreshOutcome refresh_machine_prices(const PriceRefreshRequest& request,
                                           const config::EnvGetter& env, Observer& observer) {
  const catalog::MachineCatalog& base = catalog::builtin_machine_catalog();
  std::vector<std::string> clouds = request.cloud.empty() ? std::vector<std::string>{"aws", "gcp"}
                                                          : std::vector<std::string>{request.cloud};
  if (!request.region.empty()) {
    // A region names one cloud; refresh only that one.
    std::vector<std::string> owners;
    for (const auto& c : clouds) {
      auto r = base.regions(c);
      if (std::find(r.begin(), r.end(), request.region) != r.end()) owners.push_back(c);
    }
    if (owners.empty()) {
      auto near =
          closest_regions(request.region, base.regions(request.cloud.empty() ? "" : request.cloud));
      throw Error(ErrorKind::kConfig,
                  fmt::format("{} does not offer region '{}'; the closest: {}",
                              request.cloud.empty() ? "no cloud" : request.cloud, request.region,
                              join(near, ", ")),
                  "see `mlbox machines` for every region");
    }
    clouds = owners;
  }

  PriceRefreshOutcome out;
  try {
    if (auto c = catalog::load_price_cache(catalog::default_price_cache_path())) {
      out.cache = std::move(*c);
    }
  } catch (const Error& e) {
    observer.warn(fmt::format("the price cache is unreadable and will be replaced: {}", e.what()));
  }
  std::vector<std::string> regions;
  if (!request.region.empty()) regions.push_back(request.region);

  net::TransportConfig transport = net::TransportConfig::for_cloud_api();
  net::HttpClient http(transport, observer);
  for (const auto& cloud : clouds) {
    try {
      catalog::CloudSnapshot snap;
      if (cloud == "aws") {
        cloud::aws::AwsPriceRequest req;
        req.regions = regions;
        std::string quota_region = request.region.empty() ? request.aws_region : request.region;
        if (!quota_region.empty()) req.quota_regions = {quota_region};
        snap = cloud::aws::fetch_aws_machine_prices(http, env, base, req, observer);
      } else {
        auto adc = cloud::gcp::AdcCredentials::for_process(transport, observer);
        if (!adc->available()) {
          throw Error(ErrorKind::kAuth,
                      "no Google Application Default Credentials: " + adc->not_found_reason());
        }
        cloud::gcp::GoogleApi api(
            http, [a = adc.get()] { return a->access_token(); },
            [a = adc.get()] { return a->quota_project(); });
        cloud::gcp::GcpPriceRequest req;
        req.regions = regions;
        req.project = request.gcp_project;
        std::string quota_region = request.region.empty() ? request.gcp_region : request.region;
        if (!quota_region.empty()) req.quota_regions = {quota_region};
        snap = cloud::gcp::fetch_gcp_machine_prices(api, env, base, req, observer);
      }
      if (snap.prices.empty()) {
        throw Error(ErrorKind::kRemote,
                    "the price API answered with no price for the catalog's "
                    "machines");
      }
      out.skipped += snap.skipped;
      // A narrower refresh (one region) keeps the other regions' cached figures.
      if (const auto* old = out.cache.cloud(cloud); old && !regions.empty()) {
        for (const auto& p : old->prices) {
          if (p.region != request.region) snap.prices.push_back(p);
        }
        for (const auto& q : old->quotas) {
          if (q.region != request.region) snap.quotas.push_back(q);
        }
        for (const auto& s : old->scores) {
          if (std::none_of(snap.scores.begin(), snap.scores.end(), [&](const auto& n) {
                return n.machine == s.machine && n.region == s.region;
              })) {
            snap.scores.push_back(s);
          }
        }
      }
      (cloud == "aws" ? out.cache.aws : out.cache.gcp) = std::move(snap);
      out.refreshed.push_back(cloud);
    } catch (const Error& e) {
      out.fallbacks.push_back(fmt::format(
          "{}: not refreshed ({}{}); {}", cloud, first_line(e.what()),
          e.hint().empty() ? "" : " -- " + first_line(e.hint()), kept(out.cache, cloud, base)));
    }
  }
  if (!out.refreshed.empty()) {
    catalog::save_price_cache(catalog::default_price_cache_path(), out.cache);
  }
  return out;
}

}  // namespace mlbox::backends
