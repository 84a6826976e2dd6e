// Parallel gzip, as a multi-member gzip stream (RFC 1952 section 2.2: "a gzip file consists
// of a series of members"). The input is cut into fixed-size blocks (by size, never by thread
// count, so the output is identical for any number of threads); each block becomes one
// complete gzip member compressed by libdeflate (about 3x zlib's speed at the same level and
// ratio) on a worker, and the members are written in order. Go's compress/gzip (containerd,
// skopeo, umoci), Python's gzip, zlib's gunzip and busybox read such streams as one. Every
// member's header: mtime 0, no name, OS byte 255.
#pragma once

#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <string>
#include <string_view>

#include "image/compressor.h"

namespace mlbox {
class TaskPool;
}  // namespace mlbox

namespace mlbox::image {

// mlbox's gzip level when none is given. libdeflate level 4 runs about 1.7x faster than its
// level 6 on machine code and text, for 2-4% more bytes, and its output is still smaller than
// Go's compress/gzip at its default (what buildah, docker and skopeo write); docs/build.md and
// docs/BENCHMARKS.md have the numbers. `--level 6` (up to 12) trades build time for size.
constexpr int kDefaultGzipLevel = 4;

class ParallelGzipWriter : public Compressor {
 public:
  // `level` < 0: kDefaultGzipLevel.
  ParallelGzipWriter(ByteSink out, int level, unsigned threads, size_t block_size);
  ~ParallelGzipWriter() override;
  void write(const void* data, size_t size) override;
  void finish() override;

 private:
  void submit();
  void emit_oldest();

  ByteSink out_;
  int level_;
  size_t block_size_;
  unsigned max_in_flight_;
  std::unique_ptr<TaskPool> pool_;  // null when single-threaded
  std::string current_;
  std::deque<std::future<std::string>> in_flight_;
  bool any_member_ = false;
  bool finished_ = false;
};

// A block that looks random becomes a member of stored deflate blocks instead of being
// compressed: compressed archives, encrypted or already-compressed payloads, weights that do
// not compress. The test: the collision entropy of its bytes, -log2(sum p_i^2), is at least
// 7.99 bits (256 * sum c_i^2 <= 1.007 n^2 over the byte counts c_i, in integers, so that every
// machine decides alike). The Shannon entropy is at least that, so Huffman coding could not
// save more than 0.13% of such a block, and deflate's 32 KiB window finds matches in it only
// where random bytes repeat within 32 KiB. libdeflate takes as long to fail on random bytes
// as to compress text, so this is most of a layer's compression time when it holds shared
// objects that do not compress or random test data. The choice is a pure function of the
// block's bytes, so the output still is too.
inline constexpr size_t kStoredMinBytes = 4096;      // smaller blocks are always compressed
inline constexpr size_t kStoredMaxBytes = 16 << 20;  // and larger ones (blocks are 1 MiB)
bool looks_incompressible(std::string_view data);

// One block as one complete gzip member (exposed for tests).
std::string gzip_member(std::string_view data, int level);

}  // namespace mlbox::image
