#include "native/malloc_tuning.h"

#include <cstdlib>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace mlbox::trainer {

MallocTuning tune_malloc_for_training() {
  if (const char* v = std::getenv("MLBOX_MALLOC_TUNING"); v && std::string(v) == "0") {
    return {false, "MLBOX_MALLOC_TUNING=0"};
  }
#if defined(__GLIBC__)
  // Both or neither: setting only the trim threshold also freezes the mmap threshold at its
  // 128 KiB default, which sends every activation through mmap/munmap.
  constexpr int kMmapThreshold = 32 << 20;
  constexpr int kTrimThreshold = 1 << 30;
  if (mallopt(M_MMAP_THRESHOLD, kMmapThreshold) != 1) return {false, "mallopt refused"};
  if (mallopt(M_TRIM_THRESHOLD, kTrimThreshold) != 1) return {false, "mallopt refused"};
  return {true, ""};
#else
  return {false, "not glibc"};
#endif
}

}  // namespace mlbox::trainer
