// Registry JSON: manifests, indexes, image configs and error bodies.
#include "fuzz_support.h"
#include "image/image_config.h"
#include "image/oci_manifest.h"
#include "registry/registry_error.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = mlbox::fuzz::as_text(data, size);
  try {
    (void)mlbox::image::parse_manifest(text, "manifest");
  } catch (const mlbox::Error&) {
  }
  try {
    (void)mlbox::image::parse_index(text, "index");
  } catch (const mlbox::Error&) {
  }
  try {
    (void)mlbox::image::parse_image_config(text, "config");
  } catch (const mlbox::Error&) {
  }
  (void)mlbox::registry::parse_error_body(text);
  (void)mlbox::registry::error_code_suffix(text);
  return 0;
}
