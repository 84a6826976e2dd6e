#include <doctest/doctest.h>

#include "image/image_provenance.h"
#include "image/oci_layout.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;
using namespace mlbox::image;

TEST_CASE("image provenance: the lock digest and base from the labels, read from a store") {
  CHECK(provenance_of({{"seed", "1"}}) == nlohmann::json::object());  // not built by mlbox
  CHECK(provenance_of({{"io.mlbox.lock.digest", ""}}) == nlohmann::json::object());
  fs::TempDir tmp;
  OciLayout store(tmp.path() / "oci");
  Descriptor layer = store.put_blob(media_type::kLayerTar, "layer");
  ImageConfig c;
  c.platform = host_platform();
  c.add_layer(layer.digest, "test");
  c.config.labels = {{"io.mlbox.lock.digest", "sha256:10c4"},
                     {"org.opencontainers.image.base.name", "python:3.11-slim@sha256:ba5e"},
                     {"org.opencontainers.image.title", "digits"}};
  Descriptor m = store.write_image(c, {layer});
  CHECK(provenance_in_store(tmp.path() / "oci", m.digest) ==
        nlohmann::json{{"lock_digest", "sha256:10c4"},
                       {"base_image", "python:3.11-slim@sha256:ba5e"}});
  CHECK_THROWS_AS(provenance_in_store(tmp.path() / "none", m.digest), Error);  // no store
}
