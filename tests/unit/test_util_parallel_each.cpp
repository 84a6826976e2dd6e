#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>

#include "util/parallel_each.h"

using namespace mlbox;

TEST_CASE("for_each_parallel runs every item once; the first failure stops new items") {
  std::atomic<int> sum{0};
  for_each_parallel(100, 4, [&](size_t i) { sum += static_cast<int>(i); });
  CHECK(sum == 4950);

  std::atomic<int> ran{0};
  CHECK_THROWS_WITH_AS(for_each_parallel(1000, 1,
                                         [&](size_t i) {
                                           ++ran;
                                           if (i == 3) throw std::runtime_error("item 3");
                                         }),
                       "item 3", std::runtime_error);
  CHECK(ran == 4);  // one worker: items 0..3, nothing after the failure
  for_each_parallel(0, 8, [](size_t) { throw std::runtime_error("never"); });
}
