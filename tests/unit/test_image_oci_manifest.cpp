#include <doctest/doctest.h>

#include "image/descriptor.h"
#include "image/image_config.h"
#include "image/oci_manifest.h"
#include "util/error.h"
#include "util/hash.h"

using namespace mlbox;
using namespace mlbox::image;

TEST_CASE("descriptor JSON round trip and validation") {
  Descriptor d;
  d.media_type = media_type::kLayerGzip;
  d.digest = oci_digest("x");
  d.size = 1;
  d.annotations["a"] = "b";
  d.platform = Platform{"arm64", "linux", "", {}, "v8"};
  CHECK(descriptor_from_json(to_json(d), "t") == d);
  auto bad = to_json(d);
  bad["digest"] = "sha256:XYZ";
  CHECK_THROWS_AS(descriptor_from_json(bad, "t"), Error);
  bad = to_json(d);
  bad.erase("size");
  CHECK_THROWS_AS(descriptor_from_json(bad, "t"), Error);
  CHECK(is_valid_digest("sha256:" + std::string(64, 'a')));
  CHECK_FALSE(is_valid_digest("sha256:../../etc/passwd"));
}

TEST_CASE("manifest and index: canonical JSON with sorted keys, parse back") {
  ImageManifest m;
  m.config = describe(media_type::kImageConfig, "{}");
  m.layers.push_back(describe(media_type::kLayerGzip, "layer"));
  std::string bytes = canonical_json(to_json(m));
  CHECK(bytes.find("{\"config\":") == 0);  // keys sorted
  CHECK(bytes.find("\"schemaVersion\":2") != std::string::npos);
  ImageManifest back = parse_manifest(bytes, "m");
  CHECK(back.layers.size() == 1);
  CHECK(back.config == m.config);
  CHECK(canonical_json(to_json(back)) == bytes);
  CHECK_THROWS_AS(parse_manifest("{\"schemaVersion\":1}", "m"), Error);
  CHECK_THROWS_AS(parse_manifest("{not json", "m"), Error);

  ImageIndex idx;
  Descriptor amd = describe(media_type::kImageManifest, "a");
  amd.platform = Platform{"amd64", "linux", "", {}, ""};
  Descriptor arm = describe(media_type::kImageManifest, "b");
  arm.platform = Platform{"arm64", "linux", "", {}, "v8"};
  idx.manifests = {amd, arm};
  auto parsed = parse_index(canonical_json(to_json(idx)), "i");
  CHECK(select_platform(parsed, Platform{"arm64", "linux", "", {}, ""})->digest == arm.digest);
  CHECK_FALSE(select_platform(parsed, Platform{"s390x", "linux", "", {}, ""}).has_value());
}

TEST_CASE("image config keeps unknown fields and edits typed ones") {
  std::string base = R"({"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z",
    "config":{"Env":["PATH=/bin"],"Cmd":["bash"],"Healthcheck":{"Test":["NONE"]}},
    "rootfs":{"type":"layers","diff_ids":["sha256:)" +
                     std::string(64, '1') + R"("]},
    "history":[{"created_by":"base"}],"moby.buildkit.buildinfo.v1":"xyz"})";
  ImageConfig c = parse_image_config(base, "base");
  CHECK(c.config.get_env("PATH").value() == "/bin");
  c.config.set_env("PATH", "/opt/mlbox/bin:/bin");
  c.config.entrypoint = std::vector<std::string>{"/opt/mlbox/bin/mlbox-trainer", "--"};
  c.add_layer("sha256:" + std::string(64, '2'), "code");
  auto j = to_json(c);
  CHECK(j["moby.buildkit.buildinfo.v1"] == "xyz");
  CHECK(j["config"]["Healthcheck"]["Test"][0] == "NONE");
  CHECK(j["config"]["Env"][0] == "PATH=/opt/mlbox/bin:/bin");
  CHECK(j["rootfs"]["diff_ids"].size() == 2);
  CHECK(j["history"].size() == 2);
  CHECK(format_rfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(format_rfc3339(1700000000) == "2023-11-14T22:13:20Z");
}
