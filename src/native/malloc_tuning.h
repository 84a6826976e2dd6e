// glibc malloc settings for native training. A training step frees and re-allocates the same
// multi-megabyte activation and gradient buffers every step; with glibc's defaults those are
// returned to the kernel (munmap, heap trim) and faulted back in page by page on the next
// step. Pinning the mmap threshold and raising the trim threshold keeps them in the heap.
#pragma once

#include <cstdio>

namespace mlbox::trainer {

struct MallocTuning {
  bool applied = false;
  const char* why = "";  // when not applied
};

// M_MMAP_THRESHOLD = 32 MiB (glibc's maximum), M_TRIM_THRESHOLD = 1 GiB. Peak RSS is unchanged
// (freed memory is kept, not grown past the high-water mark). MLBOX_MALLOC_TUNING=0 skips it
// (to measure the difference). Call before the first large allocation.
MallocTuning tune_malloc_for_training();

}  // namespace mlbox::trainer
