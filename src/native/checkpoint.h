// Training checkpoints: model parameters and buffers, optimizer state, epoch/step counters,
// the running epoch accumulators, RNG state and the history so far, in a torch serialize
// archive followed by a trailer ("MLBXCKPT", u64le payload length, SHA-256 of the payload).
// Written atomically (temp + rename); a truncated or bit-flipped file fails verification and
// resume falls back to the next newest one.
#pragma once

#include <torch/optim/optimizer.h>
#include <torch/script.h>

#include <cstdint>
#include <string>
#include <vector>

#include "native/checkpoint_format.h"

namespace mlbox::trainer {

struct TrainState {
  int64_t epoch = 0;          // epoch in progress (or next to start)
  int64_t step_in_epoch = 0;  // optimizer steps done in that epoch
  int64_t global_step = 0;    // optimizer steps done in total
  double loss_sum = 0, correct = 0, count = 0, correct_den = 0;  // epoch accumulators
  uint64_t seed = 0;         // the shuffle RNG: permutation of epoch e = f(seed, e)
  std::string history_json;  // History::to_json() at save time
};

// "ckpt-<global_step, 10 digits>.mlbox"
std::string checkpoint_name(int64_t global_step);

void save_checkpoint(const std::string& path, const torch::jit::Module& model,
                     torch::optim::Optimizer& optimizer, const TrainState& state);

// Verifies the trailer, then loads into model/optimizer/state. Returns false with `why` set
// when the file is truncated, corrupt or does not fit the model.
bool load_checkpoint(const std::string& path, torch::jit::Module& model,
                     torch::optim::Optimizer& optimizer, TrainState& state, std::string& why);

// Checkpoint files in `dir`, newest (highest step) first.
std::vector<std::string> list_checkpoints(const std::string& dir);

// Removes all but the newest `keep` checkpoints.
void prune_checkpoints(const std::string& dir, int keep);

}  // namespace mlbox::trainer
