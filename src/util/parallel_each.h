// Running one task per item on a few threads, the first failure winning: what a push or a
// pull does with its blobs.
#pragma once

#include <cstddef>
#include <functional>

namespace mlbox {

// Runs task(i) for every i in [0, count) on up to `workers` threads (at least 1, at most
// 64), each taking the next index, so items sorted largest first finish evenly. After the
// first task throws no new task starts; the running ones finish; that first exception is
// rethrown here.
void for_each_parallel(size_t count, int workers, const std::function<void(size_t)>& task);

}  // namespace mlbox
