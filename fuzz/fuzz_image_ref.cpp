// Image references: image.base, image.repository, push/pull arguments, registry hosts.
#include "cloud/aws/ecr_client.h"
#include "cloud/gcp/artifact_registry_credentials.h"
#include "fuzz_support.h"
#include "manifest/image_ref.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = mlbox::fuzz::as_text(data, size);
  std::string why;
  if (auto src = mlbox::manifest::parse_image_source(text, &why)) {
    if (src->transport == mlbox::manifest::ImageSource::Transport::kRegistry) {
      std::string canonical = src->ref.canonical();
      // The canonical form must parse to the same reference (when the spelled-out default
      // registry does not take it past the length limit).
      if (canonical.size() <= 1024) {
        auto again = mlbox::manifest::parse_registry_reference(canonical, &why);
        if (!again || again->canonical() != canonical) __builtin_trap();
      }
      (void)mlbox::cloud::aws::parse_ecr_host(src->ref.registry);
      (void)mlbox::cloud::gcp::is_google_registry(src->ref.registry);
    }
  }
  (void)mlbox::manifest::valid_repository(text, &why);
  return 0;
}
