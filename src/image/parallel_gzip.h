// pigz-style parallel gzip. The input is cut into fixed-size blocks (by size, never by
// thread count, so the output is identical for any number of threads); each block is raw
// deflate with the previous block's last 32 KiB as dictionary, ended with Z_SYNC_FLUSH
// (the last one with Z_FINISH), and the blocks are stitched into ONE gzip member whose
// CRC-32 is combined with crc32_combine. Header: mtime 0, no name, OS byte 255.
#pragma once

#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <string>

#include "image/compressor.h"

namespace mlbox::image {

class TaskPool;

class ParallelGzipWriter : public Compressor {
 public:
  ParallelGzipWriter(ByteSink out, int level, unsigned threads, size_t block_size);
  ~ParallelGzipWriter() override;
  void write(const void* data, size_t size) override;
  void finish() override;

 private:
  struct BlockResult {
    std::string deflated;
    uint32_t crc = 0;
    size_t length = 0;
  };
  void submit(bool last);
  void emit_oldest();

  ByteSink out_;
  int level_;
  size_t block_size_;
  unsigned max_in_flight_;
  std::unique_ptr<TaskPool> pool_;  // null when single-threaded
  std::string current_;
  std::string dictionary_;  // last 32 KiB of the previous block
  std::deque<std::future<BlockResult>> in_flight_;
  uint32_t crc_ = 0;
  uint64_t total_in_ = 0;
  bool finished_ = false;
};

// One block as raw deflate (exposed for tests).
std::string deflate_block(std::string_view data, std::string_view dictionary, int level, bool last);

}  // namespace mlbox::image
