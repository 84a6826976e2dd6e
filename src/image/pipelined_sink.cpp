#include "image/pipelined_sink.h"

#include <algorithm>

#include "image/task_pool.h"

namespace mlbox::image {

PipelinedSink::PipelinedSink(ByteSink downstream, size_t chunk_size, size_t depth)
    : downstream_(std::move(downstream)),
      chunk_size_(chunk_size == 0 ? 1 : chunk_size),
      depth_(depth == 0 ? 1 : depth),
      worker_(std::make_unique<TaskPool>(1)) {
  current_.reserve(chunk_size_);
}

PipelinedSink::~PipelinedSink() {
  // Unwinding: let queued chunks finish so none touches freed state; errors are dropped.
  for (auto& f : in_flight_) {
    if (f.valid()) f.wait();
  }
}

void PipelinedSink::write(const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    size_t n = std::min(size, chunk_size_ - current_.size());
    current_.append(p, n);
    p += n;
    size -= n;
    if (current_.size() == chunk_size_) submit();
  }
}

void PipelinedSink::submit() {
  if (current_.empty()) return;
  auto chunk = std::make_shared<std::string>(std::move(current_));
  current_ = std::string();
  current_.reserve(chunk_size_);
  in_flight_.push_back(
      worker_->submit([this, chunk] { downstream_(chunk->data(), chunk->size()); }));
  if (in_flight_.size() >= depth_) wait_oldest();
}

void PipelinedSink::wait_oldest() {
  auto f = std::move(in_flight_.front());
  in_flight_.pop_front();
  f.get();  // rethrows the downstream's exception
}

void PipelinedSink::finish() {
  submit();
  while (!in_flight_.empty()) wait_oldest();
}

}  // namespace mlbox::image
