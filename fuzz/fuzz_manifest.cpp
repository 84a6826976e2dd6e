// mlbox.yaml: YAML syntax, limits, schema, values.
#include "fuzz_support.h"
#include "manifest/load.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mlbox::manifest::Manifest m;
  auto issues = mlbox::manifest::check(mlbox::fuzz::as_text(data, size), "mlbox.yaml", m);
  for (const auto& issue : issues) (void)issue.format("mlbox.yaml");
  try {
    (void)mlbox::manifest::parse(mlbox::fuzz::as_text(data, size), "mlbox.yaml");
  } catch (const mlbox::Error&) {
  }
  return 0;
}
