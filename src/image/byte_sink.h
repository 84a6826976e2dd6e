// Where streamed bytes go: a tar writer feeds a compressor, a compressor feeds a blob file.
#pragma once

#include <cstddef>
#include <functional>

namespace mlbox::image {

using ByteSink = std::function<void(const void* data, size_t size)>;

}  // namespace mlbox::image
