// Live AWS figures for the catalog's EC2 types: on-demand prices (Price List Query API,
// GetProducts, NextToken pages), current spot prices (EC2 DescribeSpotPriceHistory per
// region, the cheapest zone), GPU vCPU quotas (Service Quotas GetServiceQuota; their usage
// summed from EC2 DescribeInstances, pending and running, by quota family) and spot
// placement scores (EC2 GetSpotPlacementScores). Endpoints follow the SDK convention
// (AWS_ENDPOINT_URL_PRICING, _EC2, _SERVICE_QUOTAS, AWS_ENDPOINT_URL).
#pragma once

#include <string>
#include <vector>

#include "catalog/live_prices.h"
#include "catalog/machine_catalog.h"
#include "config/settings.h"
#include "core/events.h"
#include "net/http_client.h"

namespace mlbox::cloud::aws {

struct AwsPriceRequest {
  // Regions to price (empty: every region the catalog sells an AWS type in).
  std::vector<std::string> regions;
  // Regions whose quotas to read (each costs one call per quota code).
  std::vector<std::string> quota_regions;
  bool spot_scores = true;
};

// Throws Error(kAuth) when there are no credentials or the price API refuses them
// (the caller falls back); quotas and scores that are refused are left out with a warning
// through the observer. Price documents that do not parse are skipped and counted.
catalog::CloudSnapshot fetch_aws_machine_prices(net::HttpClient& http, const config::EnvGetter& env,
                                                const catalog::MachineCatalog& catalog,
                                                const AwsPriceRequest& request, Observer& observer);

}  // namespace mlbox::cloud::aws
