// Data-parallel collectives for native mode: c10d over a TCPStore rendezvous at
// MASTER_ADDR:MASTER_PORT, with Gloo on CPU (NCCL when this libtorch has it and tensors are on
// CUDA). Rank and world come from the platform contract.
#pragma once

#include <ATen/ATen.h>

#include <cstdio>
#include <memory>

#include "trainer/platform_contract.h"

namespace mlbox::trainer {

class Collectives {
 public:
  // Blocks until all `layout.world_size` ranks have joined (or the timeout passes).
  static std::unique_ptr<Collectives> connect(const PlatformLayout& layout, bool cuda, FILE* log);
  ~Collectives();
  int rank() const { return rank_; }
  int world() const { return world_; }
  void allreduce_sum(at::Tensor& t);  // in place
  void broadcast_from_root(at::Tensor& t);
  const char* backend() const;

 private:
  Collectives() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int rank_ = 0, world_ = 1;
};

}  // namespace mlbox::trainer
