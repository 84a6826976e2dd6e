// Which cloud quota a machine draws on, and how much of it one machine takes: AWS counts
// vCPUs per instance-family group (on-demand and spot apart: Service Quotas codes), Google
// counts GPUs per model and region (Compute Engine region quota metrics; spot from the
// PREEMPTIBLE_ metric).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/live_prices.h"
#include "catalog/machine_catalog.h"

namespace mlbox::catalog {

struct QuotaNeed {
  std::string code;  // "L-DB2E81BA", "NVIDIA_T4_GPUS"
  std::string name;  // "Running On-Demand G and VT instances"
  std::string unit;  // "vCPU" | "GPU"
  double amount = 0;
};

// The EC2 vCPU quota code an instance type counts against ("g4dn.xlarge", spot ->
// "L-3819A6DF"); nullopt for families mlbox reads no quota of.
std::optional<std::string> aws_quota_code(std::string_view instance_type, bool spot);

// nullopt when mlbox knows no quota for the machine (a family without a known code).
std::optional<QuotaNeed> quota_need(const Machine& machine, bool spot, int count = 1);

// The Vertex AI custom-training quota a Google machine draws on:
// "aiplatform.googleapis.com/custom_model_training_nvidia_t4_gpus" (spot:
// "..._preemptible_nvidia_t4_gpus"); nullopt for an AWS machine or one without GPUs.
std::optional<QuotaNeed> vertex_quota_need(const Machine& machine, bool spot, int count = 1);

// The quota a machine draws on in a region and, when the cache has it, the cached quota:
// on Google the Vertex AI custom-training quota (Vertex is the Google target), else the
// Compute Engine one when only that is cached (a cache written before Vertex quotas were
// read, or with the Cloud Quotas API refused). nullopt when mlbox knows no quota for it.
struct QuotaMatch {
  QuotaNeed need;
  const Quota* quota = nullptr;
};
// `project` (Google) leaves out quotas recorded for another project; empty: any project.
std::optional<QuotaMatch> match_quota(const PriceCache& cache, const Machine& machine,
                                      const std::string& region, bool spot, int count = 1,
                                      const std::string& project = "");

// The AWS EC2 quota codes mlbox reads (GPU families and standard; on-demand and spot).
struct AwsQuotaCode {
  const char* code;
  const char* name;
};
const std::vector<AwsQuotaCode>& aws_quota_codes();

// Where to raise a quota.
std::string aws_quota_console_url(const std::string& region, const std::string& code);
std::string gcp_quota_console_url(const std::string& project, const std::string& metric);

// The cached quota a need is checked against; nullptr when the cache has none for it. With
// `project` set, a quota recorded for another project does not count (one recorded without
// a project, from an older cache, does).
const Quota* find_quota(const PriceCache& cache, const std::string& cloud,
                        const std::string& region, const std::string& code,
                        const std::string& project = "");

}  // namespace mlbox::catalog
