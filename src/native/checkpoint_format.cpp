#include "native/checkpoint_format.h"

#include <array>
#include <cstdint>
#include <cstring>

#include "util/hash.h"

namespace mlbox::trainer {

namespace {

constexpr char kMagic[8] = {'M', 'L', 'B', 'X', 'C', 'K', 'P', 'T'};

std::array<uint8_t, 32> digest(const char* data, size_t size) {
  Sha256 h;
  h.update(data, size);
  return h.finish();
}

}  // namespace

std::string seal_checkpoint(std::string bytes) {
  auto d = digest(bytes.data(), bytes.size());
  uint64_t len = bytes.size();
  bytes.append(kMagic, 8);
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((len >> (8 * i)) & 0xFF));
  bytes.append(reinterpret_cast<const char*>(d.data()), d.size());
  return bytes;
}

bool verify_checkpoint_bytes(const std::string& bytes, std::string& why) {
  if (bytes.size() < kCheckpointTrailerSize) {
    why = "truncated (" + std::to_string(bytes.size()) + " bytes, no trailer)";
    return false;
  }
  const char* t = bytes.data() + bytes.size() - kCheckpointTrailerSize;
  if (std::memcmp(t, kMagic, 8) != 0) {
    why = "no checkpoint trailer (truncated or not an mlbox checkpoint)";
    return false;
  }
  uint64_t len = 0;
  for (int i = 7; i >= 0; --i) len = (len << 8) | static_cast<unsigned char>(t[8 + i]);
  if (len != bytes.size() - kCheckpointTrailerSize) {
    why = "length mismatch: trailer says " + std::to_string(len) + " bytes, file has " +
          std::to_string(bytes.size() - kCheckpointTrailerSize);
    return false;
  }
  auto d = digest(bytes.data(), len);
  if (std::memcmp(d.data(), t + 16, 32) != 0) {
    why = "SHA-256 mismatch (the file is corrupt)";
    return false;
  }
  return true;
}

}  // namespace mlbox::trainer
