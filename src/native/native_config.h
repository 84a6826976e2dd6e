// The native-mode configuration: JSON (mlbox.yaml's `train.native`, converted by the CLI).
// Documented key by key in docs/trainer.md. Parsing is strict: unknown keys are errors with a
// did-you-mean, and every error names the JSON path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlbox::trainer {

struct DataSpec {
  std::string path;                // absolute after parsing (relative to the config file)
  std::string format;              // csv | npy | npz | pt | idx
  std::string labels_path;         // npy / idx: a second file with the labels
  int label_column = -1;           // csv: column of the label; -1 = last
  bool header = false;             // csv: skip the first line
  std::string features_key = "x";  // npz / pt dict
  std::string labels_key = "y";
  double scale = 1.0;  // features are multiplied by this (1/16 for digits, 1/255 MNIST)
  bool present() const { return !path.empty(); }
};

struct OptimizerSpec {
  std::string name = "sgd";  // sgd | adam | adamw
  double lr = 0.01;
  double momentum = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

struct LrScheduleSpec {
  std::string name = "none";  // none | step | cosine
  int step_size = 1;          // step: decay every step_size epochs
  double gamma = 0.1;         // step: factor
  int t_max = 0;              // cosine: period in epochs (0 = epochs)
  double min_lr = 0.0;        // cosine: floor
};

struct CheckpointSpec {
  int every_epochs = 1;  // 0 = never at epoch ends
  int every_steps = 0;   // 0 = never mid-epoch
  int keep = 3;          // newest checkpoints kept
  bool resume = true;
};

struct NativeConfig {
  std::string config_path;
  std::string model;  // TorchScript file (torch.jit.save)
  DataSpec train;
  DataSpec validation;
  double validation_split = 0.0;
  std::vector<int64_t> input_shape;  // per-sample shape, e.g. [1, 8, 8]; empty = as stored
  int epochs = 1;
  int batch_size = 32;
  int64_t max_steps = 0;  // stop after this many optimizer steps in total (0 = no limit)
  bool shuffle = true;
  uint64_t seed = 0;
  OptimizerSpec optimizer;
  LrScheduleSpec lr_schedule;
  std::string loss = "cross_entropy";           // cross_entropy | mse | bce_with_logits
  std::vector<std::string> metrics = {"loss"};  // loss, accuracy
  int threads = 0;                              // 0 = torch's default
  CheckpointSpec checkpoint;
  std::string device = "auto";  // auto | cpu | cuda
  bool tensorboard = true;
  int log_every_steps = 0;  // per-step log lines (0 = epoch lines only)
  bool wants_accuracy() const;
};

// Parses and validates; `base_dir` resolves relative paths. Throws Error(kConfig).
NativeConfig parse_native_config(const nlohmann::json& j, const std::string& base_dir,
                                 const std::string& source_name);
NativeConfig load_native_config(const std::string& path);

}  // namespace mlbox::trainer
