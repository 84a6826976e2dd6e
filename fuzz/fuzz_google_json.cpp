// Google answers: error JSON, OAuth token replies, Cloud Storage object metadata, and
// service-account key files.
#include <nlohmann/json.hpp>

#include "cloud/gcp/adc.h"
#include "cloud/gcp/gcs_client.h"
#include "cloud/gcp/google_api.h"
#include "fuzz_support.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = mlbox::fuzz::as_text(data, size);
  mlbox::net::Outcome outcome;
  outcome.response.status = size > 0 && data[0] % 2 ? 200 : 400;
  outcome.response.body = std::string(text);
  try {
    (void)mlbox::cloud::gcp::parse_token_response(outcome, "fuzz", "https://oauth2.example/token",
                                                  1'700'000'000);
  } catch (const mlbox::Error&) {
  }
  outcome.response.status = 403;
  try {
    mlbox::cloud::gcp::throw_google_error("GET", "https://storage.example/x", outcome);
  } catch (const mlbox::Error&) {
  }
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return 0;
  try {
    (void)mlbox::cloud::gcp::gcs_object_from_json(j, "fallback");
  } catch (const mlbox::Error&) {
  }
  try {
    (void)mlbox::cloud::gcp::parse_service_account_key(j, "key.json");
  } catch (const mlbox::Error&) {
  }
  return 0;
}
