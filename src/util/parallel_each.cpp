#include "util/parallel_each.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace mlbox {

void for_each_parallel(size_t count, int workers, const std::function<void(size_t)>& task) {
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::exception_ptr failure;
  auto worker = [&] {
    for (;;) {
      size_t i = next++;
      if (i >= count || stop) return;
      try {
        task(i);
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!failure) failure = std::current_exception();
        stop = true;
        return;
      }
    }
  };
  size_t n = std::min<size_t>(static_cast<size_t>(std::clamp(workers, 1, 64)), count);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < n; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace mlbox
