// CRC-32C (Castagnoli), as TFRecord framing uses it, and TensorFlow's "masked" variant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mlbox {

uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);
inline uint32_t crc32c(std::string_view s) {
  return crc32c(s.data(), s.size());
}
// ((crc >> 15) | (crc << 17)) + 0xa282ead8
uint32_t mask_crc32c(uint32_t crc);

}  // namespace mlbox
