// Vertex AI custom-training GPU quotas from the Cloud Quotas API
// (google.api.cloudquotas.v1.CloudQuotas.ListQuotaInfos:
// GET {base}v1/projects/{project}/locations/global/services/aiplatform.googleapis.com/
// quotaInfos?pageSize=&pageToken=). A QuotaInfo carries the metric
// ("aiplatform.googleapis.com/custom_model_training_nvidia_t4_gpus") and its limit per
// region (dimensionsInfos[].dimensions.region, details.value); the API says nothing of
// usage, so these quotas have a LIMIT only.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/live_prices.h"
#include "cloud/gcp/google_api.h"
#include "config/settings.h"

namespace mlbox::cloud::gcp {

inline constexpr const char* kVertexService = "aiplatform.googleapis.com";

// "https://cloudquotas.googleapis.com/" or $CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDQUOTAS, with
// "v1/" appended.
std::string cloudquotas_api_base(const config::EnvGetter& env);
std::string list_quota_infos_url(const std::string& base, const std::string& project,
                                 const std::string& page_token, int page_size = 500);

// The custom-training GPU quotas of one ListQuotaInfos page in `regions`: a dimensionsInfo
// naming the region wins over one without a region dimension (the default for the others).
// QuotaInfos of other metrics are ignored; one of ours that cannot be read is skipped, the
// reason (naming the metric) appended to `skipped`; with `skipped` null it throws
// Error(kRemote) instead.
std::vector<catalog::Quota> read_vertex_gpu_quotas(const nlohmann::json& page,
                                                   const std::string& project,
                                                   const std::vector<std::string>& regions,
                                                   std::vector<std::string>* skipped = nullptr);

// Every page of the project's aiplatform.googleapis.com QuotaInfos, read for `regions`.
// Throws what the API answers (Error(kAuth) for a refused token or permission).
std::vector<catalog::Quota> fetch_vertex_gpu_quotas(GoogleApi& api, const config::EnvGetter& env,
                                                    const std::string& project,
                                                    const std::vector<std::string>& regions,
                                                    std::vector<std::string>* skipped);

}  // namespace mlbox::cloud::gcp
