// Native mode: trains a TorchScript module (torch.jit.save output) on in-memory tensor data,
// with checkpoints every epoch / every N steps, resume from the newest valid checkpoint,
// SIGTERM -> checkpoint -> exit "preempted", history.json, TensorBoard scalars, and
// data-parallel training over c10d when the platform contract says world_size > 1.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "native/native_config.h"
#include "trainer/platform_contract.h"

namespace mlbox::trainer {

struct NativeRunResult {
  bool preempted = false;          // stopped by a stop request after saving a checkpoint
  int64_t resumed_from_step = -1;  // -1: fresh start
  int64_t first_step = 0;          // global step this run started at
  int64_t steps_run = 0;           // optimizer steps executed by this run
  int64_t global_step = 0;         // at the end
  double seconds = 0;              // training steps only (batch gather to optimizer step)
  double cpu_seconds = 0;          // process CPU time (user + system) of the training steps
  double loop_seconds = 0;         // the whole epoch loop: steps, validation, history, checkpoints
  double samples_per_sec = 0;
  // Distributed: max |w_rank - mean_w| summed over ranks at the end; 0 = identical weights.
  double rank_weight_divergence = 0;
  nlohmann::json final_metrics = nlohmann::json::object();
  nlohmann::json to_json() const;
};

// `stop` is polled after every step (set by the SIGTERM handler).
NativeRunResult train_native(const NativeConfig& config, const PlatformLayout& layout,
                             const std::atomic<bool>& stop, FILE* log);

}  // namespace mlbox::trainer
