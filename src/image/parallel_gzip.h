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

class ParallelGzipWriter : public Compressor {
 public:
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

// One block as one complete gzip member (exposed for tests).
std::string gzip_member(std::string_view data, int level);

}  // namespace mlbox::image
