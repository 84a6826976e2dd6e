#include "image/parallel_gzip.h"

#include <libdeflate.h>

#include <fmt/format.h>

#include "util/error.h"
#include "util/task_pool.h"

namespace mlbox::image {

namespace {

// One compressor per thread and level: allocating one costs more than compressing a small
// block.
libdeflate_compressor* thread_compressor(int level) {
  struct Slot {
    libdeflate_compressor* c = nullptr;
    int level = -1;
    ~Slot() {
      if (c) libdeflate_free_compressor(c);
    }
  };
  thread_local Slot slot;
  if (!slot.c || slot.level != level) {
    if (slot.c) libdeflate_free_compressor(slot.c);
    slot.c = libdeflate_alloc_compressor(level);
    slot.level = level;
    if (!slot.c) {
      throw Error(ErrorKind::kInternal,
                  fmt::format("libdeflate: no compressor for level {}", level));
    }
  }
  return slot.c;
}

}  // namespace

std::string gzip_member(std::string_view data, int level) {
  libdeflate_compressor* c = thread_compressor(level);
  std::string out(libdeflate_gzip_compress_bound(c, data.size()), '\0');
  size_t n = libdeflate_gzip_compress(c, data.data(), data.size(), out.data(), out.size());
  if (n == 0) throw Error(ErrorKind::kInternal, "libdeflate: gzip output larger than its bound");
  out.resize(n);
  // libdeflate writes mtime 0, an XFL for the level and OS byte 0xFF ("unknown") already; pin
  // all three (RFC 1952: XFL 2 = best, 4 = fastest) so that another library version cannot
  // move the digest for this reason. No header CRC covers them (FLG is 0).
  out[4] = out[5] = out[6] = out[7] = '\0';
  out[8] = static_cast<char>(level >= 9 ? 2 : (level <= 1 ? 4 : 0));
  out[9] = static_cast<char>(0xff);
  return out;
}

ParallelGzipWriter::ParallelGzipWriter(ByteSink out, int level, unsigned threads, size_t block_size)
    : out_(std::move(out)),
      level_(level < 0 ? 6 : (level > 12 ? 12 : level)),
      block_size_(block_size == 0 ? (1 << 20) : block_size),
      max_in_flight_(2 * (threads == 0 ? 1 : threads)) {
  if (threads > 1) pool_ = std::make_unique<TaskPool>(threads);
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
    if (current_.size() == block_size_) submit();
    size_t n = std::min(size, block_size_ - current_.size());
    current_.append(p, n);
    p += n;
    size -= n;
  }
}

void ParallelGzipWriter::submit() {
  std::string block = std::move(current_);
  current_ = std::string();
  current_.reserve(block_size_);
  any_member_ = true;
  int level = level_;
  auto job = [block = std::move(block), level]() { return gzip_member(block, level); };
  if (pool_) {
    in_flight_.push_back(pool_->submit(std::move(job)));
    if (in_flight_.size() >= max_in_flight_) emit_oldest();
  } else {
    std::promise<std::string> p;
    p.set_value(job());
    in_flight_.push_back(p.get_future());
    emit_oldest();
  }
}

void ParallelGzipWriter::emit_oldest() {
  std::string member = in_flight_.front().get();
  in_flight_.pop_front();
  out_(member.data(), member.size());
}

void ParallelGzipWriter::finish() {
  if (finished_) return;
  // The last, partial block; an empty input still gets one (empty) member.
  if (!current_.empty() || !any_member_) submit();
  while (!in_flight_.empty()) emit_oldest();
  finished_ = true;
}

}  // namespace mlbox::image
