#include "image/zstd_writer.h"

#include <zstd.h>

#include <fmt/format.h>

#include "util/error.h"

namespace mlbox::image {

namespace {
void check(size_t rc, const char* what) {
  if (ZSTD_isError(rc)) {
    throw Error(ErrorKind::kInternal, fmt::format("zstd: {}: {}", what, ZSTD_getErrorName(rc)));
  }
}
}  // namespace

ZstdWriter::ZstdWriter(ByteSink out, int level, unsigned threads) : out_(std::move(out)) {
  cctx_ = ZSTD_createCCtx();
  if (!cctx_) throw Error(ErrorKind::kInternal, "zstd: cannot create a compression context");
  check(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level), "compression level");
  check(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1), "checksum flag");
  size_t rc =
      ZSTD_CCtx_setParameter(cctx_, ZSTD_c_nbWorkers, static_cast<int>(threads == 0 ? 1 : threads));
  if (ZSTD_isError(rc)) {
    // A libzstd built without threads would change the bytes: refuse rather than differ.
    ZSTD_freeCCtx(cctx_);
    throw Error(ErrorKind::kInternal,
                "zstd: this libzstd has no multithreading support; reproducible zstd layers "
                "need it",
                "use --compression gzip");
  }
  buffer_.resize(ZSTD_CStreamOutSize());
}

ZstdWriter::~ZstdWriter() {
  ZSTD_freeCCtx(cctx_);
}

void ZstdWriter::drain(const void* data, size_t size, bool end) {
  ZSTD_inBuffer in{data, size, 0};
  for (;;) {
    ZSTD_outBuffer out{buffer_.data(), buffer_.size(), 0};
    size_t remaining = ZSTD_compressStream2(cctx_, &out, &in, end ? ZSTD_e_end : ZSTD_e_continue);
    check(remaining, "compress");
    if (out.pos > 0) out_(buffer_.data(), out.pos);
    if (end ? remaining == 0 : in.pos == in.size) break;
  }
}

void ZstdWriter::write(const void* data, size_t size) {
  if (finished_) throw Error(ErrorKind::kInternal, "zstd: write after finish");
  if (size > 0) drain(data, size, false);
}

void ZstdWriter::finish() {
  if (finished_) return;
  drain(nullptr, 0, true);
  finished_ = true;
}

}  // namespace mlbox::image
