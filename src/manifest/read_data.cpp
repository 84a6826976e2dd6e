// data: named inputs, local paths or gs:// / s3:// URIs.
#include "manifest/manifest_reader.h"

#include "util/bounded_regex.h"

namespace mlbox::manifest {

void ManifestReader::read_data(const Field& section) {
  if (!section.value.IsMap() && !section.value.IsNull()) {
    add(section, "data is " + describe(section.value),
        "a map of NAME: local path or gs:// / s3:// URI");
    return;
  }
  for (const auto& f : fields(section.value, section.path, {})) {
    if (!regex_match_bounded(f.key, "[A-Za-z_][A-Za-z0-9_.-]*")) {
      add(f.key_mark, "data name " + quote_value(f.key) + " is not valid",
          "a name of letters, digits, '_', '-', '.' starting with a letter or '_'");
      continue;
    }
    auto s = string_of(f, "a local path or a gs:// or s3:// URI");
    if (!s) continue;
    size_t scheme_end = s->find("://");
    if (scheme_end != std::string::npos) {
      std::string scheme = s->substr(0, scheme_end);
      std::string rest = s->substr(scheme_end + 3);
      std::string bucket = rest.substr(0, rest.find('/'));
      if (scheme != "gs" && scheme != "s3") {
        add(f, f.path + " uses the scheme " + quote_value(scheme + "://"),
            "a local path or a gs:// or s3:// URI");
        continue;
      }
      if (!regex_match_bounded(bucket, "[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")) {
        add(f, f.path + " has the bucket name " + quote_value(bucket),
            "a bucket name (lowercase letters, digits, '.', '-', '_') after " + scheme + "://");
        continue;
      }
    }
    m_.data[f.key] = *s;
  }
}

}  // namespace mlbox::manifest
