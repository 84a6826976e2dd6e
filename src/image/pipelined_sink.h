// A ByteSink that hands its bytes to a downstream sink on a thread of its own, in order, in
// chunks: the layer writer's reading, tar framing and diff_id hashing run on the caller's
// thread while compression input, blob hashing and blob writes run on this one. Bounded: at
// most `depth` chunks wait. An exception downstream comes back from the next write() or from
// finish().
#pragma once

#include <deque>
#include <future>
#include <memory>
#include <string>

#include "image/byte_sink.h"

namespace mlbox::image {

class TaskPool;

class PipelinedSink {
 public:
  explicit PipelinedSink(ByteSink downstream, size_t chunk_size = 1 << 20, size_t depth = 4);
  ~PipelinedSink();
  PipelinedSink(const PipelinedSink&) = delete;
  PipelinedSink& operator=(const PipelinedSink&) = delete;

  void write(const void* data, size_t size);
  // Sends what is buffered and waits until the downstream sink has taken everything.
  void finish();

 private:
  void submit();
  void wait_oldest();

  ByteSink downstream_;
  size_t chunk_size_;
  size_t depth_;
  std::unique_ptr<TaskPool> worker_;
  std::string current_;
  std::deque<std::future<void>> in_flight_;
};

}  // namespace mlbox::image
