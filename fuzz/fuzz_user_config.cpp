// The user config (~/.config/mlbox/config.yaml) and the settings it feeds.
#include "config/settings.h"
#include "fuzz_support.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto user = mlbox::config::parse_user_config(mlbox::fuzz::as_text(data, size), "config.yaml",
                                                 "config.yaml");
    auto settings = mlbox::config::resolve(nullptr, {}, mlbox::config::env_from_map({}), &user);
    (void)settings.to_json();
  } catch (const mlbox::Error&) {
  }
  return 0;
}
