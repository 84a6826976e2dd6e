// Datasets as a pair of tensors (features, labels) loaded whole into memory: .pt (torch.save of
// a (x, y) tuple or {"x":, "y":} dict), .npy / .npz, CSV (label column), MNIST IDX.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "native/native_config.h"

namespace mlbox::trainer {

struct TensorDataset {
  at::Tensor x;  // float32 [N, ...]
  at::Tensor y;  // int64 [N] for cross_entropy, float32 [N, ...] otherwise
  int64_t size() const { return x.defined() ? x.size(0) : 0; }
};

// Loads and shapes a dataset: features scaled and reshaped to [N, input_shape...] when given,
// labels typed for `loss`. Throws Error(kConfig) naming the file on any mismatch.
TensorDataset load_dataset(const DataSpec& spec, const std::vector<int64_t>& input_shape,
                           const std::string& loss);

// Keras semantics: the last `fraction` of the samples (before any shuffling) is validation.
void split_validation(TensorDataset& train, double fraction, TensorDataset& validation);

}  // namespace mlbox::trainer
