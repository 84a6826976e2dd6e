#include "image/parallel_gzip.h"

#include <libdeflate.h>

#include <algorithm>
#include <array>
#include <cstring>

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

bool looks_incompressible(std::string_view data) {
  if (data.size() < kStoredMinBytes || data.size() > kStoredMaxBytes) return false;
  // Four histograms break the store-to-load chain on runs of one byte value.
  std::array<std::array<uint32_t, 256>, 4> h{};
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size(), i = 0;
  for (; i + 4 <= n; i += 4) {
    ++h[0][p[i]];
    ++h[1][p[i + 1]];
    ++h[2][p[i + 2]];
    ++h[3][p[i + 3]];
  }
  for (; i < n; ++i) ++h[0][p[i]];
  // Integers only, so that every machine decides alike: sum of squared counts against
  // n^2 / 256 (uniform bytes) with 0.7% of slack. n <= 2^24 keeps both sides under 2^57.
  uint64_t squares = 0;
  for (int b = 0; b < 256; ++b) {
    uint64_t c = uint64_t(h[0][b]) + h[1][b] + h[2][b] + h[3][b];
    squares += c * c;
  }
  uint64_t n2 = uint64_t(n) * n;
  return squares * 256 <= n2 + n2 / 1000 * 7;
}

namespace {

void put_le32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

char gzip_xfl(int level) {
  return static_cast<char>(level >= 9 ? 2 : (level <= 1 ? 4 : 0));
}

// RFC 1951 section 3.2.4: non-compressed blocks of at most 65535 bytes, byte-aligned.
std::string stored_member(std::string_view data, int level) {
  std::string out;
  out.reserve(data.size() + data.size() / 65535 * 5 + 32);
  const char header[10] = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, gzip_xfl(level), '\xff'};
  out.append(header, sizeof header);
  size_t at = 0;
  do {
    size_t len = std::min<size_t>(65535, data.size() - at);
    bool last = at + len == data.size();
    out.push_back(last ? 1 : 0);  // BFINAL, BTYPE 00
    out.push_back(static_cast<char>(len & 0xff));
    out.push_back(static_cast<char>(len >> 8));
    out.push_back(static_cast<char>(~len & 0xff));
    out.push_back(static_cast<char>((~len >> 8) & 0xff));
    out.append(data.data() + at, len);
    at += len;
  } while (at < data.size());
  put_le32(out, libdeflate_crc32(0, data.data(), data.size()));
  put_le32(out, static_cast<uint32_t>(data.size()));
  return out;
}

}  // namespace

std::string gzip_member(std::string_view data, int level) {
  if (looks_incompressible(data)) return stored_member(data, level);
  libdeflate_compressor* c = thread_compressor(level);
  std::string out(libdeflate_gzip_compress_bound(c, data.size()), '\0');
  size_t n = libdeflate_gzip_compress(c, data.data(), data.size(), out.data(), out.size());
  if (n == 0) throw Error(ErrorKind::kInternal, "libdeflate: gzip output larger than its bound");
  out.resize(n);
  // libdeflate writes mtime 0, an XFL for the level and OS byte 0xFF ("unknown") already; pin
  // all three (RFC 1952: XFL 2 = best, 4 = fastest) so that another library version cannot
  // move the digest for this reason. No header CRC covers them (FLG is 0).
  out[4] = out[5] = out[6] = out[7] = '\0';
  out[8] = gzip_xfl(level);
  out[9] = static_cast<char>(0xff);
  return out;
}

ParallelGzipWriter::ParallelGzipWriter(ByteSink out, int level, unsigned threads, size_t block_size)
    : out_(std::move(out)),
      level_(level < 0 ? kDefaultGzipLevel : (level > 12 ? 12 : level)),
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
