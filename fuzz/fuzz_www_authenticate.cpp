// WWW-Authenticate challenges from a registry.
#include "fuzz_support.h"
#include "registry/auth_challenge.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (const auto& c : mlbox::registry::parse_www_authenticate(mlbox::fuzz::as_text(data, size))) {
    (void)c.param("realm");
    (void)c.param("service");
  }
  return 0;
}
