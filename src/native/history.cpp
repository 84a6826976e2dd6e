#include "native/history.h"

#include "util/fs.h"

namespace mlbox::trainer {

void History::add_epoch(int epoch, const std::map<std::string, double>& metrics) {
  epochs_.push_back(epoch);
  for (const auto& [k, v] : metrics) metrics_[k].push_back(v);
}

nlohmann::json History::to_json() const {
  return {{"history", metrics_}, {"epoch", epochs_}, {"params", params_}};
}

History History::from_json(const nlohmann::json& j) {
  History h;
  if (!j.is_object()) return h;
  if (j.contains("epoch")) h.epochs_ = j["epoch"].get<std::vector<int>>();
  if (j.contains("history"))
    h.metrics_ = j["history"].get<std::map<std::string, std::vector<double>>>();
  if (j.contains("params")) h.params_ = j["params"];
  return h;
}

void History::write(const std::string& path) const {
  fs::write_file_atomic(path, to_json().dump(2) + "\n");
}

}  // namespace mlbox::trainer
