// `docker save` archives imported as a base image: the outer tar, manifest.json, the config
// and each layer (plain tar or gzip, checked against diff_ids).
#include "fuzz_support.h"
#include "image/docker_archive.h"
#include "image/oci_layout.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& scratch = mlbox::fuzz::Scratch::get();
  const auto& dir = scratch.fresh();
  auto archive = scratch.write("image.tar", mlbox::fuzz::as_text(data, size));
  try {
    mlbox::image::OciLayout store(dir / "oci");
    mlbox::image::CompressionOptions none;
    none.compression = mlbox::image::Compression::kNone;
    (void)mlbox::image::import_docker_archive(archive, "", store, none);
  } catch (const mlbox::Error&) {
  }
  return 0;
}
