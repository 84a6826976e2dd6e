#include "image/compressor.h"

#include <libdeflate.h>
#include <zstd.h>

#include <thread>

#include <fmt/format.h>

#include "image/descriptor.h"
#include "image/parallel_gzip.h"
#include "image/zstd_writer.h"
#include "util/error.h"

namespace mlbox::image {

Compression parse_compression(std::string_view name) {
  if (name == "gzip") return Compression::kGzip;
  if (name == "zstd") return Compression::kZstd;
  if (name == "none") return Compression::kNone;
  throw Error(ErrorKind::kUsage, fmt::format("unknown compression '{}'", name),
              "use one of: gzip, zstd, none");
}

std::string to_string(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
    case Compression::kNone:
      return "none";
  }
  return "none";
}

const char* layer_media_type(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return media_type::kLayerGzip;
    case Compression::kZstd:
      return media_type::kLayerZstd;
    case Compression::kNone:
      return media_type::kLayerTar;
  }
  return media_type::kLayerTar;
}

unsigned default_thread_count() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

std::string compressor_identity(const CompressionOptions& o) {
  switch (o.compression) {
    case Compression::kGzip:
      return fmt::format("gzip-members:libdeflate-{}:{}:{}:stored-h2-7.99",
                         LIBDEFLATE_VERSION_STRING, o.level < 0 ? kDefaultGzipLevel : o.level,
                         o.gzip_block_size);
    case Compression::kZstd:
      return fmt::format("zstd:{}:{}", ZSTD_versionString(), o.level < 0 ? 3 : o.level);
    case Compression::kNone:
      return "none";
  }
  return "none";
}

namespace {
class PassThrough : public Compressor {
 public:
  explicit PassThrough(ByteSink out) : out_(std::move(out)) {}
  void write(const void* data, size_t size) override { out_(data, size); }
  void finish() override {}

 private:
  ByteSink out_;
};
}  // namespace

std::unique_ptr<Compressor> make_compressor(const CompressionOptions& o, ByteSink out) {
  unsigned threads = o.threads == 0 ? default_thread_count() : o.threads;
  switch (o.compression) {
    case Compression::kGzip:
      return std::make_unique<ParallelGzipWriter>(
          std::move(out), o.level < 0 ? kDefaultGzipLevel : o.level, threads, o.gzip_block_size);
    case Compression::kZstd:
      return std::make_unique<ZstdWriter>(std::move(out), o.level < 0 ? 3 : o.level, threads);
    case Compression::kNone:
      return std::make_unique<PassThrough>(std::move(out));
  }
  return std::make_unique<PassThrough>(std::move(out));
}

}  // namespace mlbox::image
