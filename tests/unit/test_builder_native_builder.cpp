#include <doctest/doctest.h>

#include "builder/native_builder.h"
#include "image/layer_writer.h"
#include "image/oci_layout.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;
namespace stdfs = std::filesystem;

TEST_CASE("native base: a registry base is refused with the way to an OCI layout") {
  fs::TempDir tmp;
  image::OciLayout store(tmp.path() / "store");
  try {
    builder::import_base_image("nvidia/cuda:12.1.1-runtime-ubuntu22.04", tmp.path(), store);
    FAIL("expected a refusal");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    CHECK(e.hint().find("skopeo copy") != std::string::npos);
  }
  try {
    builder::import_base_image("docker-archive:x.tar", tmp.path(), store);
    FAIL("expected a missing archive to be refused");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    CHECK(std::string(e.what()).find("x.tar") != std::string::npos);
  }
  CHECK_THROWS_AS(builder::import_base_image("oci:missing:v1", tmp.path(), store), Error);
}

TEST_CASE("native base: blobs are copied and verified, Docker layer types become OCI ones") {
  fs::TempDir tmp;
  stdfs::create_directories(tmp.path() / "src");
  fs::write_file_atomic(tmp.path() / "src" / "f", "base file");
  image::Descriptor manifest;
  {
    image::OciLayout base(tmp.path() / "base");
    image::LayerOptions lo;
    lo.compression.threads = 1;
    image::LayerWriter w(base, lo);
    auto layer = w.write(image::entries_from_directory(tmp.path() / "src", ""));
    image::ImageConfig c;
    c.platform = image::host_platform();
    c.add_layer(layer.diff_id, "base");
    layer.descriptor.media_type = image::media_type::kDockerLayerGzip;
    manifest = base.write_image(c, {layer.descriptor});
    base.tag("only", manifest);
  }
  image::OciLayout store(tmp.path() / "store");
  auto b = builder::import_base_image("oci:base", tmp.path(), store);  // the single tag
  REQUIRE(b.manifest.layers.size() == 1);
  CHECK(b.manifest.layers[0].media_type == image::media_type::kLayerGzip);
  CHECK(store.has_blob(b.manifest.layers[0].digest));
  CHECK(store.has_blob(b.manifest.config.digest));
  // A corrupt base blob is caught on copy.
  image::OciLayout base(tmp.path() / "base");
  auto layer_path = base.blob_path(b.manifest.layers[0].digest);
  fs::write_file_atomic(layer_path, "garbage");
  image::OciLayout fresh(tmp.path() / "fresh");
  CHECK_THROWS_AS(builder::import_base_image("oci:base:only", tmp.path(), fresh), Error);
}
