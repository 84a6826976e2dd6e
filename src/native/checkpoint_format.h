// The checkpoint file's integrity trailer, torch-free: payload, "MLBXCKPT", u64le payload
// length, SHA-256 of the payload. A truncated or bit-flipped file fails verification.
#pragma once

#include <cstddef>
#include <string>

namespace mlbox::trainer {

inline constexpr size_t kCheckpointTrailerSize = 8 + 8 + 32;

// Appends the trailer to `payload`.
std::string seal_checkpoint(std::string payload);
// True when the trailer is present and the payload matches it; `why` says what is wrong.
bool verify_checkpoint_bytes(const std::string& bytes, std::string& why);

}  // namespace mlbox::trainer
