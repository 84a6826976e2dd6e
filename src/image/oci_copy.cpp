#include "image/oci_copy.h"

#include <cstdio>
#include <vector>

#include <fmt/format.h>

#include "util/error.h"

namespace mlbox::image {

namespace stdfs = std::filesystem;

void copy_blob(const OciLayout& from, OciLayout& to, const Descriptor& d) {
  if (to.has_blob(d.digest)) return;
  stdfs::path src = from.blob_path(d.digest);
  std::error_code ec;
  if (!stdfs::is_regular_file(src, ec)) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{}: blob {} is missing", from.root().string(), d.digest),
                "the layout is incomplete; copy the image again (skopeo copy ... oci:DIR:TAG)");
  }
  auto w = to.begin_blob();
  FILE* in = std::fopen(src.c_str(), "rb");
  if (!in) throw Error(ErrorKind::kConfig, src.string() + ": cannot open");
  std::vector<char> buf(1 << 20);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), in)) > 0) w->write(buf.data(), n);
  std::fclose(in);
  try {
    w->commit_expecting(d.media_type, d.digest);
  } catch (const Error& e) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: {}", src.string(), e.what()),
                "the layout is corrupt; copy the image again");
  }
}

Descriptor copy_image(const OciLayout& from, std::string_view tag, OciLayout& to) {
  auto d = from.resolve(tag);
  if (!d) {
    throw Error(ErrorKind::kConfig,
                fmt::format("{}: no image tagged '{}'", from.root().string(), tag));
  }
  if (is_index_media_type(d->media_type)) {
    ImageIndex index = parse_index(from.read_blob(*d), from.root().string() + "/index.json");
    auto chosen = select_platform(index, host_platform());
    if (!chosen) {
      throw Error(ErrorKind::kConfig,
                  fmt::format("{}: image '{}' has no manifest for {}", from.root().string(), tag,
                              to_string(host_platform())));
    }
    d = *chosen;
  }
  ImageManifest m = from.read_manifest(*d);
  copy_blob(from, to, m.config);
  for (const auto& layer : m.layers) copy_blob(from, to, layer);
  Descriptor manifest{d->media_type, d->digest, d->size};
  copy_blob(from, to, manifest);
  return manifest;
}

}  // namespace mlbox::image
