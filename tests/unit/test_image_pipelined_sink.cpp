#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <thread>

#include "image/pipelined_sink.h"

using namespace mlbox::image;

TEST_CASE("pipelined sink: bytes arrive in order, on another thread, for any write size") {
  std::string in;
  for (int i = 0; i < 100000; ++i) in += std::to_string(i) + ",";
  for (size_t chunk : {size_t(1), size_t(1000), size_t(1) << 20}) {
    std::string out;
    std::thread::id downstream_thread;
    PipelinedSink sink(
        [&](const void* d, size_t n) {
          downstream_thread = std::this_thread::get_id();
          out.append(static_cast<const char*>(d), n);
        },
        4096, 3);
    for (size_t i = 0; i < in.size(); i += chunk) {
      sink.write(in.data() + i, std::min(chunk, in.size() - i));
    }
    sink.finish();
    CHECK(out == in);
    CHECK(downstream_thread != std::this_thread::get_id());
  }
}

TEST_CASE("pipelined sink: a downstream error comes back to the writer") {
  PipelinedSink sink([](const void*, size_t) { throw std::runtime_error("disk full"); }, 16, 2);
  std::string data(1000, 'x');
  CHECK_THROWS_WITH_AS(
      {
        for (int i = 0; i < 10; ++i) sink.write(data.data(), data.size());
        sink.finish();
      },
      "disk full", std::runtime_error);
}
