#include "image/parallel_gzip.h"

#include <zlib.h>

#include <cstring>

#include <fmt/format.h>

#include "image/task_pool.h"
#include "util/error.h"

namespace mlbox::image {

namespace {
constexpr size_t kDictionarySize = 32 * 1024;
}

std::string deflate_block(std::string_view data, std::string_view dictionary, int level,
                          bool last) {
  z_stream zs{};
  // -15: raw deflate, 32 KiB window; memLevel 8 and the default strategy as gzip uses.
  if (deflateInit2(&zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw Error(ErrorKind::kInternal, "zlib: deflateInit2 failed");
  }
  if (!dictionary.empty()) {
    deflateSetDictionary(&zs, reinterpret_cast<const Bytef*>(dictionary.data()),
                         static_cast<uInt>(dictionary.size()));
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 16);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  size_t produced = 0;
  int flush = last ? Z_FINISH : Z_SYNC_FLUSH;
  for (;;) {
    if (produced == out.size()) out.resize(out.size() * 2);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out.size() - produced);
    int rc = deflate(&zs, flush);
    produced = out.size() - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      deflateEnd(&zs);
      throw Error(ErrorKind::kInternal, fmt::format("zlib: deflate failed ({})", rc));
    }
    // A sync flush is complete when all input is consumed and output space is left over.
    if (!last && zs.avail_in == 0 && zs.avail_out != 0) break;
  }
  deflateEnd(&zs);
  out.resize(produced);
  return out;
}

ParallelGzipWriter::ParallelGzipWriter(ByteSink out, int level, unsigned threads, size_t block_size)
    : out_(std::move(out)),
      level_(level),
      block_size_(block_size == 0 ? (1 << 20) : block_size),
      max_in_flight_(2 * (threads == 0 ? 1 : threads)) {
  if (threads > 1) pool_ = std::make_unique<TaskPool>(threads);
  crc_ = static_cast<uint32_t>(crc32(0L, Z_NULL, 0));
  // RFC 1952 header: magic, CM=8, no flags, MTIME=0, XFL (2 = best, 4 = fastest), OS=255.
  unsigned char xfl = level_ >= 9 ? 2 : (level_ == 1 ? 4 : 0);
  const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255};
  out_(header, sizeof header);
  current_.reserve(block_size_);
}

ParallelGzipWriter::~ParallelGzipWriter() {
  // Unfinished (an error unwinding): wait for the workers so none touches freed state.
  for (auto& f : in_flight_) {
    if (f.valid()) f.wait();
  }
}

void ParallelGzipWriter::write(const void* data, size_t size) {
  if (finished_) throw Error(ErrorKind::kInternal, "gzip: write after finish");
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    // A full block goes out only when more data follows, so the last block is always the
    // one finish() ends with Z_FINISH, whatever the caller's write sizes were.
    if (current_.size() == block_size_) submit(false);
    size_t n = std::min(size, block_size_ - current_.size());
    current_.append(p, n);
    p += n;
    size -= n;
  }
}

void ParallelGzipWriter::submit(bool last) {
  std::string block = std::move(current_);
  current_ = std::string();
  current_.reserve(block_size_);
  std::string dict = std::move(dictionary_);
  if (block.size() >= kDictionarySize) {
    dictionary_ = block.substr(block.size() - kDictionarySize);
  } else {
    std::string joined = dict + block;
    dictionary_ =
        joined.substr(joined.size() > kDictionarySize ? joined.size() - kDictionarySize : 0);
  }
  total_in_ += block.size();
  int level = level_;
  auto job = [block = std::move(block), dict = std::move(dict), level, last]() {
    BlockResult r;
    r.deflated = deflate_block(block, dict, level, last);
    r.crc = static_cast<uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(block.data()), static_cast<uInt>(block.size())));
    r.length = block.size();
    return r;
  };
  if (pool_) {
    in_flight_.push_back(pool_->submit(std::move(job)));
    if (in_flight_.size() >= max_in_flight_) emit_oldest();
  } else {
    std::promise<BlockResult> p;
    p.set_value(job());
    in_flight_.push_back(p.get_future());
    emit_oldest();
  }
}

void ParallelGzipWriter::emit_oldest() {
  BlockResult r = in_flight_.front().get();
  in_flight_.pop_front();
  out_(r.deflated.data(), r.deflated.size());
  crc_ = static_cast<uint32_t>(crc32_combine(crc_, r.crc, static_cast<z_off_t>(r.length)));
}

void ParallelGzipWriter::finish() {
  if (finished_) return;
  submit(true);
  while (!in_flight_.empty()) emit_oldest();
  finished_ = true;
  unsigned char trailer[8];
  uint32_t isize = static_cast<uint32_t>(total_in_ & 0xffffffffu);
  for (int i = 0; i < 4; ++i) trailer[i] = static_cast<unsigned char>(crc_ >> (8 * i));
  for (int i = 0; i < 4; ++i) trailer[4 + i] = static_cast<unsigned char>(isize >> (8 * i));
  out_(trailer, sizeof trailer);
}

}  // namespace mlbox::image
