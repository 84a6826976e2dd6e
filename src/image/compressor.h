// Stream compressors for layer blobs. Output is a pure function of the input bytes and the
// level: thread counts change speed only, never the bytes.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "image/byte_sink.h"

namespace mlbox::image {

enum class Compression { kNone, kGzip, kZstd };

// "gzip" | "zstd" | "none"; throws Error(kUsage) naming the choices otherwise.
Compression parse_compression(std::string_view name);
std::string to_string(Compression compression);
// The OCI layer media type for this compression.
const char* layer_media_type(Compression compression);

class Compressor {
 public:
  virtual ~Compressor() = default;
  virtual void write(const void* data, size_t size) = 0;
  // Flushes everything to the sink; no writes after this.
  virtual void finish() = 0;
};

struct CompressionOptions {
  Compression compression = Compression::kGzip;
  int level = -1;        // -1: gzip 4 (kDefaultGzipLevel), zstd 3
  unsigned threads = 0;  // 0: all cores
  size_t gzip_block_size = 1 << 20;
};

std::unique_ptr<Compressor> make_compressor(const CompressionOptions& options, ByteSink out);

// What decides the compressed bytes besides the input: format, library and version, level,
// block size. Layer caches key on it, so that a new compressor never reuses blobs an older
// one made (the same project must give the same digest with a cold and a warm cache).
std::string compressor_identity(const CompressionOptions& options);

// The thread count that `threads` = 0 means here.
unsigned default_thread_count();

}  // namespace mlbox::image
