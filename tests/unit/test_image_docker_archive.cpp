#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "image/docker_archive.h"
#include "image/oci_layout.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/process.h"

using namespace mlbox;
namespace stdfs = std::filesystem;

namespace {

// A docker-save style archive: manifest.json, <hex>.json config, layers as <id>/layer.tar,
// the second image layer a symlink to the first (docker shares identical layers so).
stdfs::path make_archive(const stdfs::path& dir, bool wrong_diff_id) {
  stdfs::path root = dir / "archive";
  stdfs::create_directories(root / "files");
  fs::write_file_atomic(root / "files" / "hello.txt", "hello from a layer\n");
  auto tar = run_process({"tar", "-C", (root / "files").string(), "--sort=name", "--mtime=@0",
                          "--owner=0", "--group=0", "--numeric-owner", "-cf",
                          (dir / "layer.tar").string(), "hello.txt"});
  REQUIRE(tar.ok());
  std::string layer;
  REQUIRE(fs::read_file_if_exists(dir / "layer.tar", layer));
  std::string diff_id = oci_digest(layer);
  stdfs::create_directories(root / "aaa");
  stdfs::create_directories(root / "bbb");
  stdfs::copy_file(dir / "layer.tar", root / "aaa" / "layer.tar");
  stdfs::create_symlink("../aaa/layer.tar", root / "bbb" / "layer.tar");
  nlohmann::json config = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"config", {{"Env", {"PATH=/bin"}}}},
      {"rootfs",
       {{"type", "layers"},
        {"diff_ids", {diff_id, wrong_diff_id ? oci_digest("something else") : diff_id}}}}};
  std::string config_text = config.dump();
  std::string config_name = sha256_hex(config_text) + ".json";
  fs::write_file_atomic(root / config_name, config_text);
  nlohmann::json manifest =
      nlohmann::json::array({{{"Config", config_name},
                              {"RepoTags", {"example/base:v1"}},
                              {"Layers", {"aaa/layer.tar", "bbb/layer.tar"}}}});
  fs::write_file_atomic(root / "manifest.json", manifest.dump());
  stdfs::path out = dir / "image.tar";
  auto pack = run_process({"tar", "-C", root.string(), "-cf", out.string(), "manifest.json",
                           config_name, "aaa", "bbb"});
  REQUIRE(pack.ok());
  return out;
}

}  // namespace

TEST_CASE("docker-archive: layers are compressed, diff_ids checked, the config kept") {
  fs::TempDir tmp;
  stdfs::path archive = make_archive(tmp.path(), false);
  image::OciLayout store(tmp.path() / "store");
  image::CompressionOptions gzip;
  auto r = image::import_docker_archive(archive, "", store, gzip);
  CHECK(r.layers == 2);
  CHECK(r.layers_compressed == 1);  // the symlinked layer is the same entry
  auto m = store.read_manifest(r.manifest);
  REQUIRE(m.layers.size() == 2);
  CHECK(m.layers[0] == m.layers[1]);
  CHECK(m.layers[0].media_type == image::media_type::kLayerGzip);
  auto config = store.read_config(m);
  CHECK(config.diff_ids.size() == 2);
  CHECK(config.platform.architecture == "amd64");

  // By tag; kNone keeps the plain tar, whose digest is its diff_id.
  image::OciLayout plain(tmp.path() / "plain");
  image::CompressionOptions none;
  none.compression = image::Compression::kNone;
  auto p = image::import_docker_archive(archive, "example/base:v1", plain, none);
  auto pm = plain.read_manifest(p.manifest);
  CHECK(pm.layers[0].media_type == image::media_type::kLayerTar);
  CHECK(pm.layers[0].digest == config.diff_ids[0]);

  CHECK_THROWS_AS(image::import_docker_archive(archive, "other:v2", plain, none), Error);
}

TEST_CASE("docker-archive: a layer that does not match its diff_id is refused") {
  fs::TempDir tmp;
  stdfs::path archive = make_archive(tmp.path(), true);
  image::OciLayout store(tmp.path() / "store");
  try {
    image::import_docker_archive(archive, "", store, {});
    FAIL("expected a refusal");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    CHECK(std::string(e.what()).find("diff_ids[1]") != std::string::npos);
  }
}
