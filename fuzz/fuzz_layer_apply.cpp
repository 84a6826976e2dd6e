// A pulled layer unpacked into a root directory (what `mlbox run` does): tar, gzip and zstd
// streams through libarchive, whiteouts, links, paths that try to leave the root. Runs
// unprivileged: ownership changes are not reached.
#include "cloud/local/rootfs_cache.h"
#include "fuzz_support.h"
#include "image/descriptor.h"
#include "util/error.h"
#include "util/hash.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& scratch = mlbox::fuzz::Scratch::get();
  const auto& dir = scratch.fresh();
  std::string_view bytes = mlbox::fuzz::as_text(data, size);
  auto blob = scratch.write("layer", bytes);
  std::filesystem::create_directories(dir / "root");
  mlbox::image::Descriptor d;
  d.media_type = "application/vnd.oci.image.layer.v1.tar";
  d.digest = "sha256:" + mlbox::sha256_hex(bytes);
  d.size = static_cast<int64_t>(size);
  try {
    (void)mlbox::cloud::local::apply_layer(blob, d, dir / "root");
  } catch (const mlbox::Error&) {
  }
  // Nothing may land outside the root.
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    auto name = e.path().filename();
    if (name != "layer" && name != "root") __builtin_trap();
  }
  return 0;
}
