// image (repository to push to, base image) and context (what goes into the build).
#include "manifest/manifest_reader.h"

#include "manifest/image_ref.h"

namespace mlbox::manifest {

void ManifestReader::read_image(const Field& section) {
  static const std::vector<std::string> keys = {"repository", "base"};
  if (!is_map(section, keys)) return;
  for (const auto& f : fields(section.value, section.path, keys)) {
    if (f.key == "repository") {
      auto s = string_of(f, "a repository like us-docker.pkg.dev/PROJECT/REPO/NAME");
      if (!s) continue;
      std::string why;
      if (!valid_repository(*s, &why)) {
        add(f, "image.repository " + quote_value(*s) + " is not valid: " + why,
            "[host[:port]/]path without tag, e.g. us-docker.pkg.dev/PROJECT/REPO/NAME");
        continue;
      }
      m_.image.repository = *s;
    } else if (f.key == "base") {
      auto s = string_of(f, "an image reference");
      if (!s) continue;
      std::string why;
      if (!parse_image_source(*s, &why)) {
        add(f, "image.base " + quote_value(*s) + " is not valid: " + why,
            "a registry reference (nvidia/cuda:12.1.1-runtime-ubuntu22.04, "
            "host:port/repo@sha256:...), oci:PATH[:TAG] or docker-archive:PATH");
        continue;
      }
      m_.image.base = *s;
    }
  }
}

void ManifestReader::read_context(const Field& section) {
  static const std::vector<std::string> keys = {"include", "exclude", "allow_secrets"};
  if (!is_map(section, keys)) return;
  for (const auto& f : fields(section.value, section.path, keys)) {
    auto l = string_list_of(f, "paths or glob patterns");
    if (!l) continue;
    if (f.key == "include") m_.context.include = *l;
    if (f.key == "exclude") m_.context.exclude = *l;
    if (f.key == "allow_secrets") m_.context.allow_secrets = *l;
  }
}

}  // namespace mlbox::manifest
