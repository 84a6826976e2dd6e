#include <doctest/doctest.h>
#include <zlib.h>
#include <zstd.h>

#include <random>
#include <string>

#include "image/compressor.h"
#include "image/parallel_gzip.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/process.h"
#include "util/strings.h"

using namespace mlbox;
using namespace mlbox::image;

namespace {

// Compressible but not trivial: words from a small vocabulary plus random bytes.
std::string sample_data(size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  static const char* words[] = {"tensor ", "gradient ", "epoch ", "loss=0.",
                                "batch\n", "weights ",  "cuda ",  "model.pt "};
  std::string s;
  s.reserve(size);
  while (s.size() < size) {
    if (rng() % 7 == 0) {
      s.push_back(static_cast<char>(rng() & 0xff));
    } else {
      s += words[rng() % 8];
    }
  }
  s.resize(size);
  return s;
}

std::string compress(const std::string& in, const CompressionOptions& o, size_t chunk = 65536) {
  std::string out;
  auto c = make_compressor(
      o, [&](const void* d, size_t n) { out.append(static_cast<const char*>(d), n); });
  for (size_t i = 0; i < in.size(); i += chunk)
    c->write(in.data() + i, std::min(chunk, in.size() - i));
  c->finish();
  return out;
}

// Decodes a gzip stream member by member (zlib stops at each member's end), as gunzip does.
std::string gunzip_zlib(const std::string& gz, int* members = nullptr) {
  std::string out;
  char buf[65536];
  size_t at = 0;
  int count = 0;
  do {
    z_stream zs{};
    REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data() + at));
    zs.avail_in = static_cast<uInt>(gz.size() - at);
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof buf;
      rc = inflate(&zs, Z_NO_FLUSH);
      REQUIRE((rc == Z_OK || rc == Z_STREAM_END));
      out.append(buf, sizeof buf - zs.avail_out);
    }
    at = gz.size() - zs.avail_in;
    inflateEnd(&zs);
    ++count;
  } while (at < gz.size());
  if (members) *members = count;
  return out;
}

}  // namespace

TEST_CASE("parallel gzip: one gzip member per block, each valid, for many sizes") {
  for (size_t size : {size_t(0), size_t(1), size_t(1000), size_t(65536), size_t(65537),
                      size_t(3 * 65536), size_t(700000)}) {
    std::string in = sample_data(size, static_cast<unsigned>(size));
    CompressionOptions o;
    o.threads = 3;
    o.gzip_block_size = 65536;
    std::string gz = compress(in, o, 10000);
    REQUIRE(gz.size() >= 18);
    CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
    CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
    CHECK(gz.substr(4, 4) == std::string(4, '\0'));   // mtime 0
    CHECK(static_cast<unsigned char>(gz[9]) == 255);  // OS byte fixed
    int members = 0;
    CHECK(gunzip_zlib(gz, &members) == in);
    CHECK(members == static_cast<int>(size == 0 ? 1 : (size + 65535) / 65536));
  }
}

TEST_CASE("parallel gzip: identical bytes for any thread count and write size") {
  std::string in = sample_data(3 << 20, 7);
  CompressionOptions o;
  o.gzip_block_size = 256 * 1024;
  o.threads = 1;
  std::string one = compress(in, o, 4096);
  for (unsigned t : {2u, 4u, 8u}) {
    o.threads = t;
    CHECK(compress(in, o, 1 << 20) == one);
    CHECK(compress(in, o, 777) == one);
  }
  // Independent members of the default 1 MiB cost little against one zlib stream at the
  // same level, on real bytes (this test binary; the synthetic sample above is unusual).
  std::string exe;
  REQUIRE(fs::read_file_if_exists("/proc/self/exe", exe));
  in = exe.substr(0, 4 << 20);
  o.gzip_block_size = 1 << 20;
  o.level = 6;
  one = compress(in, o);
  uLongf bound = compressBound(static_cast<uLong>(in.size()));
  std::string single(bound, '\0');
  compress2(reinterpret_cast<Bytef*>(single.data()), &bound,
            reinterpret_cast<const Bytef*>(in.data()), static_cast<uLong>(in.size()), 6);
  CHECK(static_cast<double>(one.size()) < 1.02 * static_cast<double>(bound));
  // The default level (kDefaultGzipLevel, faster) costs at most a few percent on the same
  // bytes (levels are not monotonic: on some inputs level 4 even comes out smaller).
  o.level = -1;
  std::string fast = compress(in, o);
  CHECK(static_cast<double>(fast.size()) < 1.06 * static_cast<double>(bound));
}

TEST_CASE("parallel gzip: Python's gzip module and gzip(1) read the whole stream") {
  std::string in = sample_data(1 << 20, 3);
  CompressionOptions o;
  o.threads = 4;
  o.gzip_block_size = 100000;
  std::string gz = compress(in, o);
  fs::TempDir dir;
  fs::write_file_atomic(dir.path() / "x.gz", gz);
  // Debian's interpreter when present (a pyenv shim takes a second to start).
  std::string python = fs::which("/usr/bin/python3").empty() ? "python3" : "/usr/bin/python3";
  auto r =
      run_process({"/usr/bin/env", python, "-c",
                   "import gzip,hashlib,sys; d=gzip.decompress(open(sys.argv[1],'rb').read()); "
                   "print(hashlib.sha256(d).hexdigest())",
                   (dir.path() / "x.gz").string()});
  REQUIRE(r.ok());
  CHECK(std::string(trim(r.out)) == sha256_hex(in));
  auto t = run_process({"/usr/bin/env", "sh", "-c", "gzip -dc \"$1\" | sha256sum", "sh",
                        (dir.path() / "x.gz").string()});
  REQUIRE(t.ok());
  CHECK(t.out.substr(0, 64) == sha256_hex(in));
}

TEST_CASE("zstd: decodes, and the bytes do not depend on the worker count") {
  std::string in = sample_data(6 << 20, 11);
  CompressionOptions o;
  o.compression = Compression::kZstd;
  o.threads = 1;
  std::string one = compress(in, o);
  o.threads = 4;
  CHECK(compress(in, o, 12345) == one);
  std::string out(in.size(), '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), one.data(), one.size());
  REQUIRE_FALSE(ZSTD_isError(n));
  CHECK(out.substr(0, n) == in);
  fs::TempDir dir;
  fs::write_file_atomic(dir.path() / "x.zst", one);
  auto r = run_process({"/usr/bin/env", "zstd", "-t", "-q", (dir.path() / "x.zst").string()});
  CHECK(r.ok());
}

TEST_CASE("compression names") {
  CHECK(parse_compression("zstd") == Compression::kZstd);
  CHECK(std::string(layer_media_type(Compression::kGzip)) ==
        "application/vnd.oci.image.layer.v1.tar+gzip");
  CHECK_THROWS_AS(parse_compression("brotli"), Error);
}

TEST_CASE("parallel gzip: random-looking blocks are stored, and every reader still decodes them") {
  std::mt19937_64 rng(11);
  std::string random(700000, '\0');
  for (auto& ch : random) ch = static_cast<char>(rng() & 0xff);
  CHECK(looks_incompressible(random));
  CHECK_FALSE(looks_incompressible(sample_data(700000, 5)));
  CHECK_FALSE(looks_incompressible(random.substr(0, kStoredMinBytes - 1)));
  CHECK_FALSE(looks_incompressible(std::string(1 << 20, 'a')));

  // A stored member: header, 65535-byte stored blocks (5-byte headers), CRC and size.
  std::string member = gzip_member(random, 6);
  size_t blocks = (random.size() + 65534) / 65535;
  CHECK(member.size() == 10 + random.size() + 5 * blocks + 8);
  CHECK(member.substr(10 + 5, 100) == random.substr(0, 100));
  CHECK(gunzip_zlib(member) == random);

  // Random blocks between text blocks: each stored or compressed on its own, the stream
  // readable by zlib, Python and gzip(1), the same bytes for any thread count.
  std::string in = sample_data(300000, 1) + random + sample_data(300000, 2) + random.substr(5);
  CompressionOptions o;
  o.gzip_block_size = 1 << 18;
  o.threads = 1;
  std::string one = compress(in, o);
  for (unsigned t : {2u, 5u}) {
    o.threads = t;
    CHECK(compress(in, o, 3333) == one);
  }
  CHECK(gunzip_zlib(one) == in);
  CHECK(one.size() < in.size() - 200000);  // the text blocks were compressed
  fs::TempDir dir;
  fs::write_file_atomic(dir.path() / "x.gz", one);
  auto t = run_process({"/usr/bin/env", "sh", "-c", "gzip -dc \"$1\" | sha256sum", "sh",
                        (dir.path() / "x.gz").string()});
  REQUIRE(t.ok());
  CHECK(t.out.substr(0, 64) == sha256_hex(in));
}
