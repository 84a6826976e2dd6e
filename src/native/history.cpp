#include "native/history.h"

#include <chrono>

#include "util/fs.h"

namespace mlbox::trainer {

void History::add_epoch(int epoch, const std::map<std::string, double>& metrics) {
  epochs_.push_back(epoch);
  wall_times_.push_back(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  for (const auto& [k, v] : metrics) metrics_[k].push_back(v);
}

nlohmann::json History::to_json() const {
  return {
      {"history", metrics_}, {"epoch", epochs_}, {"wall_time", wall_times_}, {"params", params_}};
}

History History::from_json(const nlohmann::json& j) {
  History h;
  if (!j.is_object()) return h;
  if (j.contains("epoch")) h.epochs_ = j["epoch"].get<std::vector<int>>();
  if (j.contains("history"))
    h.metrics_ = j["history"].get<std::map<std::string, std::vector<double>>>();
  if (j.contains("params")) h.params_ = j["params"];
  if (j.contains("wall_time") && j["wall_time"].is_array()) {
    for (const auto& w : j["wall_time"])
      h.wall_times_.push_back(w.is_number() ? w.get<double>() : 0);
  }
  h.wall_times_.resize(h.epochs_.size(), 0);
  return h;
}

void History::write(const std::string& path) const {
  fs::write_file_atomic(path, to_json().dump(2) + "\n");
}

}  // namespace mlbox::trainer
