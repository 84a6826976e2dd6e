#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "image/layer_writer.h"
#include "image/oci_layout.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/hash.h"

using namespace mlbox;
using namespace mlbox::image;
namespace stdfs = std::filesystem;

namespace {

void write(const stdfs::path& p, const std::string& s, int mode = 0644) {
  stdfs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << s;
  ::chmod(p.c_str(), static_cast<mode_t>(mode));
}

void make_tree(const stdfs::path& root) {
  write(root / "train.py", "print('train')\n", 0600);
  write(root / "run.sh", "#!/bin/sh\n", 0700);
  write(root / "pkg" / "model.py", std::string(300000, 'm'));
  write(root / "pkg" / std::string(120, 'n'), "long\n");
  stdfs::create_directories(root / "empty");
  stdfs::create_symlink("train.py", root / "latest.py");
  stdfs::create_hard_link(root / "train.py", root / "pkg" / "train_copy.py");
}

LayerResult build(const stdfs::path& store_dir, const stdfs::path& src, Compression c,
                  unsigned threads) {
  OciLayout store(store_dir);
  LayerOptions o;
  o.compression.compression = c;
  o.compression.threads = threads;
  o.compression.gzip_block_size = 65536;
  LayerWriter w(store, o);
  return w.write(entries_from_directory(src, "app"));
}

}  // namespace

TEST_CASE("layer: same tree in two places at different times gives the same digests") {
  fs::TempDir tmp;
  make_tree(tmp.path() / "a" / "src");
  auto a = build(tmp.path() / "store-a", tmp.path() / "a" / "src", Compression::kGzip, 1);
  sleep(1);
  make_tree(tmp.path() / "b" / "elsewhere");
  ::chmod((tmp.path() / "b" / "elsewhere" / "train.py").c_str(), 0664);  // still 0644 in image
  auto b = build(tmp.path() / "store-b", tmp.path() / "b" / "elsewhere", Compression::kGzip, 4);
  CHECK(a.diff_id == b.diff_id);
  CHECK(a.descriptor == b.descriptor);
  CHECK(a.files == 4);  // train.py run.sh model.py long (the hard link is not a file)
  auto za = build(tmp.path() / "store-a", tmp.path() / "a" / "src", Compression::kZstd, 1);
  auto zb = build(tmp.path() / "store-b", tmp.path() / "b" / "elsewhere", Compression::kZstd, 3);
  CHECK(za.descriptor == zb.descriptor);
  CHECK(za.diff_id == a.diff_id);  // same tar, other compression
  CHECK(za.descriptor.media_type == std::string(media_type::kLayerZstd));
  // The stored blob hashes to its name.
  OciLayout store(tmp.path() / "store-a");
  CHECK(sha256_file_hex(store.blob_path(a.descriptor.digest)) == digest_hex(a.descriptor.digest));
}

TEST_CASE("layer: SOURCE_DATE_EPOCH changes mtimes and so the digest") {
  fs::TempDir tmp;
  make_tree(tmp.path() / "src");
  auto zero = build(tmp.path() / "s", tmp.path() / "src", Compression::kNone, 1);
  ::setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
  auto later = build(tmp.path() / "s", tmp.path() / "src", Compression::kNone, 1);
  ::unsetenv("SOURCE_DATE_EPOCH");
  CHECK(zero.diff_id != later.diff_id);
  CHECK(zero.diff_id == zero.descriptor.digest);  // uncompressed: digest is the diff_id
}

TEST_CASE("normalise_entries: parents first, missing parents added, bad paths refused") {
  std::vector<LayerEntry> in(2);
  in[0].type = LayerEntry::Type::kSymlink;
  in[0].path = "opt/mlbox/bin/tool";
  in[0].link_target = "../lib/x";
  in[1].type = LayerEntry::Type::kDirectory;
  in[1].path = "/opt/";
  auto out = normalise_entries(in);
  REQUIRE(out.size() == 4);
  CHECK(out[0].path == "opt");
  CHECK(out[1].path == "opt/mlbox");
  CHECK(out[2].path == "opt/mlbox/bin");
  CHECK(out[3].path == "opt/mlbox/bin/tool");
  in[1].path = "opt/../etc";
  CHECK_THROWS_AS(normalise_entries(in), Error);
  in[1].path = "opt/mlbox/bin/tool";
  CHECK_THROWS_AS(normalise_entries(in), Error);  // duplicate
  std::vector<LayerEntry> link(1);
  link[0].type = LayerEntry::Type::kHardlink;
  link[0].path = "a";
  link[0].link_target = "b";
  CHECK_THROWS_AS(normalise_entries(link), Error);
}

TEST_CASE("OCI layout: tags, blobs, and a killed writer leaves a usable store") {
  fs::TempDir tmp;
  stdfs::path root = tmp.path() / "oci";
  Descriptor m;
  {
    OciLayout store(root);
    CHECK(stdfs::exists(root / "oci-layout"));
    CHECK(store.tags().empty());
    Descriptor layer = store.put_blob(media_type::kLayerTar, "not really a tar");
    ImageConfig c;
    c.platform = host_platform();
    c.add_layer(layer.digest, "test");
    m = store.write_image(c, {layer});
    store.tag("v1", m);
    store.tag("v2", m);
    store.tag("v1", m);  // re-tag replaces, never duplicates
    CHECK(store.tags().size() == 2);
    CHECK(store.read_manifest("v1").layers.at(0).digest == layer.digest);
    CHECK(store.read_config(store.read_manifest("v2")).diff_ids.at(0) == layer.digest);
    CHECK_THROWS_AS(store.read_manifest("nope"), Error);
    // A digest mismatch stores nothing.
    auto w = store.begin_blob();
    w->write("abc", 3);
    CHECK_THROWS_AS(w->commit_expecting(media_type::kLayerTar, oci_digest("abd")), Error);
  }
  // Simulate a killed build: a temp blob nobody holds, and a half-written index temp.
  write(root / ".tmp" / "blob-dead01", "partial");
  write(root / ".index.json.tmp-abc123", "{\"sch");
  OciLayout again(root);
  CHECK_FALSE(stdfs::exists(root / ".tmp" / "blob-dead01"));
  CHECK_FALSE(stdfs::exists(root / ".index.json.tmp-abc123"));
  CHECK(again.resolve("v1")->digest == m.digest);
  // A live writer's temp file survives a concurrent open.
  auto live = again.begin_blob();
  live->write("x", 1);
  OciLayout third(root);
  CHECK(third.clean_temp_files() == 0);
  Descriptor d = live->commit(media_type::kLayerTar);
  CHECK(third.read_blob(d) == "x");
  // A corrupt blob is reported, not served.
  write(third.blob_path(d.digest), "y");
  CHECK_THROWS_AS(third.read_blob(d), Error);
  // Not an OCI layout.
  write(tmp.path() / "bad" / "oci-layout", "{}");
  CHECK_THROWS_AS(OciLayout(tmp.path() / "bad"), Error);
}

TEST_CASE("OCI layout: read-only mode creates nothing and refuses writes") {
  fs::TempDir tmp;
  CHECK_THROWS_AS(OciLayout(tmp.path() / "none", OciLayout::Mode::kReadOnly), Error);
  CHECK_FALSE(stdfs::exists(tmp.path() / "none"));
  {
    OciLayout rw(tmp.path() / "l");
    rw.tag("v1", rw.write_image(
                     [] {
                       ImageConfig c;
                       c.platform = host_platform();
                       return c;
                     }(),
                     {}));
  }
  stdfs::remove_all(tmp.path() / "l" / ".tmp");
  OciLayout ro(tmp.path() / "l", OciLayout::Mode::kReadOnly);
  CHECK_FALSE(stdfs::exists(tmp.path() / "l" / ".tmp"));
  CHECK(ro.read_manifest("v1").layers.empty());
  CHECK_THROWS_AS(ro.begin_blob(), Error);
  CHECK_THROWS_AS(ro.tag("v2", *ro.resolve("v1")), Error);
}

TEST_CASE("choose_image_tag: mlbox's own base tags are never the project's image") {
  fs::TempDir tmp;
  OciLayout store(tmp.path() / "oci");
  CHECK_THROWS_AS(choose_image_tag(store, ""), Error);  // empty store: build first
  Descriptor layer = store.put_blob(media_type::kLayerTar, "layer");
  ImageConfig c;
  c.platform = host_platform();
  c.add_layer(layer.digest, "test");
  Descriptor m = store.write_image(c, {layer});
  store.tag("mlbox-base", m);
  CHECK(image_tags(store).empty());
  CHECK_THROWS_AS(choose_image_tag(store, ""), Error);  // only a pulled base
  store.tag("v2", m);
  store.tag("mlbox-archive-0123456789abcdef", m);
  CHECK(image_tags(store) == std::vector<std::string>{"v2"});
  CHECK(choose_image_tag(store, "") == "v2");  // not the newest tag, which is internal
  CHECK(choose_image_tag(store, "", "nope") == "v2");
  CHECK_THROWS_AS(choose_image_tag(store, "mlbox-base"), Error);
  store.tag("v3", m);
  CHECK_THROWS_AS(choose_image_tag(store, ""), Error);  // several, none latest: --tag
  CHECK(choose_image_tag(store, "", "v3") == "v3");     // the reference's tag
  store.tag("latest", m);
  CHECK(choose_image_tag(store, "") == "latest");
  CHECK(choose_image_tag(store, "v2") == "v2");
  CHECK(is_internal_tag("mlbox-archive-x"));
  CHECK_FALSE(is_internal_tag("mlbox"));
}
