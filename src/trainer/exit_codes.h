// Exit codes shared by mlbox-trainer (the supervisor) and mlbox-native (the native training
// program it starts): a preempted or GPU-less run reads the same from either.
#pragma once

namespace mlbox::trainer {

inline constexpr int kExitPreempted = 75;  // EX_TEMPFAIL: stopped by SIGTERM, resume on retry
inline constexpr int kExitNoGpu = 69;      // EX_UNAVAILABLE: --require-gpu and no usable GPU

}  // namespace mlbox::trainer
