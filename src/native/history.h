// history.json: per-epoch metrics in the shape of Keras' History object
// ({"history": {"loss": [...], "val_accuracy": [...]}, "epoch": [0, 1, ...], "params": {...}}),
// plus "wall_time": when each epoch ended (Unix seconds), for metrics.jsonl and the run card.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlbox::trainer {

class History {
 public:
  void set_params(nlohmann::json params) { params_ = std::move(params); }
  void add_epoch(int epoch, const std::map<std::string, double>& metrics);
  int epochs_recorded() const { return static_cast<int>(epochs_.size()); }
  const std::map<std::string, std::vector<double>>& metrics() const { return metrics_; }
  nlohmann::json to_json() const;
  static History from_json(const nlohmann::json& j);
  void write(const std::string& path) const;  // atomic

 private:
  std::vector<int> epochs_;
  std::vector<double> wall_times_;  // parallel to epochs_; 0 where unknown (older checkpoints)
  std::map<std::string, std::vector<double>> metrics_;
  nlohmann::json params_ = nlohmann::json::object();
};

}  // namespace mlbox::trainer
