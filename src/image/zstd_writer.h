// zstd stream compression with libzstd's own worker threads. nbWorkers is always at least 1
// so that the output (which differs between single-threaded and multithreaded mode) is the
// same for any thread count: libzstd cuts jobs by size, not by worker count.
#pragma once

#include <string>

#include "image/compressor.h"

struct ZSTD_CCtx_s;

namespace mlbox::image {

class ZstdWriter : public Compressor {
 public:
  ZstdWriter(ByteSink out, int level, unsigned threads);
  ~ZstdWriter() override;
  void write(const void* data, size_t size) override;
  void finish() override;

 private:
  void drain(const void* data, size_t size, bool end);
  ByteSink out_;
  ZSTD_CCtx_s* cctx_ = nullptr;
  std::string buffer_;
  bool finished_ = false;
};

}  // namespace mlbox::image
