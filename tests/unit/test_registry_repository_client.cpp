#include <doctest/doctest.h>

#include "image/oci_manifest.h"
#include "registry/image_pusher.h"
#include "registry/registry_error.h"
#include "registry/repository_client.h"

using namespace mlbox;
using namespace mlbox::registry;

TEST_CASE("upload Location is used as given, with the digest appended") {
  CHECK(with_query("http://r/v2/a/blobs/uploads/u?_state=abc%3D", "digest", "sha256:12") ==
        "http://r/v2/a/blobs/uploads/u?_state=abc%3D&digest=sha256%3A12");
  CHECK(with_query("http://r/up/u", "digest", "sha256:12") == "http://r/up/u?digest=sha256%3A12");
}

TEST_CASE("Range headers give the next offset") {
  CHECK(next_offset_from_range("0-1023") == 1024u);
  CHECK(next_offset_from_range("bytes=0-99") == 100u);
  CHECK(next_offset_from_range("0-0") == 0u);
  CHECK_FALSE(next_offset_from_range("garbage"));
  CHECK_FALSE(next_offset_from_range("5-9"));
}

TEST_CASE("chunk sizes: monolithic below 32 MiB, 16 MiB chunks above, flag wins") {
  PushOptions o;
  CHECK(chunk_size_for(o, 1 << 20) == 0);
  CHECK(chunk_size_for(o, 64u << 20) == 16u << 20);
  o.chunk_size = 0;
  CHECK(chunk_size_for(o, 64u << 20) == 0);
  o.chunk_size = 1 << 20;
  CHECK(chunk_size_for(o, 100) == 1u << 20);
}

namespace {
image::Descriptor blob(const char* media_type, char fill, int64_t size) {
  image::Descriptor d;
  d.media_type = media_type;
  d.digest = "sha256:" + std::string(64, fill);
  d.size = size;
  return d;
}
}  // namespace

TEST_CASE("Docker schema2 fallback rewrites media types, refuses zstd") {
  image::ImageManifest m;
  m.config = blob(image::media_type::kImageConfig, 'a', 10);
  m.layers.push_back(blob(image::media_type::kLayerGzip, 'b', 20));
  m.layers.push_back(blob(image::media_type::kLayerTar, 'c', 30));
  m.annotations["x"] = "y";
  auto docker = to_docker_schema2(m);
  REQUIRE(docker);
  auto j = nlohmann::json::parse(*docker);
  CHECK(j["mediaType"] == image::media_type::kDockerManifest);
  CHECK(j["config"]["mediaType"] == image::media_type::kDockerConfig);
  CHECK(j["layers"][0]["mediaType"] == image::media_type::kDockerLayerGzip);
  CHECK(j["layers"][1]["mediaType"] == "application/vnd.docker.image.rootfs.diff.tar");
  CHECK_FALSE(j.contains("annotations"));
  m.layers.push_back(blob(image::media_type::kLayerZstd, 'd', 40));
  CHECK_FALSE(to_docker_schema2(m));
}

TEST_CASE("registry error bodies are parsed for their code") {
  auto e = parse_error_body(
      R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:ab"}]})");
  REQUIRE(e);
  CHECK(e->code == "BLOB_UNKNOWN");
  CHECK(e->message == "blob unknown to registry");
  CHECK(e->detail == "sha256:ab");
  CHECK_FALSE(parse_error_body("<html>"));
  net::Request req;
  req.method = "PUT";
  req.url = "https://user:pw@r.example.com/v2/a/manifests/latest?token=abc";
  net::Outcome o;
  o.response.status = 400;
  o.response.body = R"({"errors":[{"code":"MANIFEST_INVALID","message":"manifest invalid"}]})";
  Error err = http_error(req, o, "pushing the manifest");
  std::string what = err.what();
  CHECK(err.kind() == ErrorKind::kRemote);
  CHECK(what.find("HTTP 400") != std::string::npos);
  CHECK(what.find("MANIFEST_INVALID") != std::string::npos);
  CHECK(what.find("pw") == std::string::npos);
  CHECK(what.find("token=REDACTED") != std::string::npos);
  o.response.status = 401;
  CHECK(http_error(req, o, "x").kind() == ErrorKind::kAuth);
  o.failure = net::TransportFailure::kReset;
  CHECK(request_error(req, o, "x").kind() == ErrorKind::kNetwork);
}
