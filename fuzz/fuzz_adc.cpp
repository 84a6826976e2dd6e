// Application Default Credentials files ($GOOGLE_APPLICATION_CREDENTIALS): service-account
// keys (PEM parsed, JWT signed) and authorized_user files, exchanged at a fake token
// endpoint that answers a fixed token.
#include "cloud/gcp/adc.h"
#include "fuzz_support.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& scratch = mlbox::fuzz::Scratch::get();
  scratch.fresh();
  auto file = scratch.write("adc.json", mlbox::fuzz::as_text(data, size));
  mlbox::cloud::gcp::AdcCredentials::Options options;
  options.env = mlbox::config::env_from_map(
      {{"GOOGLE_APPLICATION_CREDENTIALS", file.string()}, {"HOME", "/nonexistent"}});
  options.send = [](const mlbox::net::Request&, const mlbox::net::RetryPolicy&) {
    mlbox::net::Outcome o;
    o.response.status = 200;
    o.response.body = R"({"access_token":"ya29.fuzz","expires_in":3600,"token_type":"Bearer"})";
    return o;
  };
  options.metadata_send = [](const mlbox::net::Request&, const mlbox::net::RetryPolicy&) {
    mlbox::net::Outcome o;
    o.failure = mlbox::net::TransportFailure::kConnect;
    o.error = "no metadata server while fuzzing";
    return o;
  };
  options.now = [] { return int64_t{1'700'000'000}; };
  mlbox::cloud::gcp::AdcCredentials adc(std::move(options));
  try {
    (void)adc.access_token();
  } catch (const mlbox::Error&) {
  }
  return 0;
}
