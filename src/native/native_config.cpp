#include "native/native_config.h"

#include <algorithm>
#include <filesystem>

#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace mlbox::trainer {

namespace stdfs = std::filesystem;

namespace {

using json = nlohmann::json;

class Reader {
 public:
  Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& path, const std::string& what,
                         const std::string& hint = {}) const {
    throw Error(ErrorKind::kConfig, source_ + ": " + path + ": " + what, hint);
  }

  void known_keys(const json& obj, const std::string& path,
                  const std::vector<std::string>& keys) const {
    if (!obj.is_object()) fail(path, "must be an object");
    for (const auto& [k, v] : obj.items()) {
      if (std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
      auto near = did_you_mean(k, keys);
      fail(path.empty() ? k : path + "." + k, "unknown key",
           near ? "did you mean '" + *near + "'?" : "known keys: " + join(keys, ", "));
    }
  }

  template <typename T>
  void opt(const json& obj, const std::string& path, const char* key, T& out) const {
    if (!obj.contains(key)) return;
    const json& v = obj[key];
    std::string p = path.empty() ? key : path + "." + key;
    try {
      if constexpr (std::is_same_v<T, bool>) {
        if (!v.is_boolean()) fail(p, "must be true or false");
      } else if constexpr (std::is_integral_v<T>) {
        if (!v.is_number_integer()) fail(p, "must be an integer");
      } else if constexpr (std::is_floating_point_v<T>) {
        if (!v.is_number()) fail(p, "must be a number");
      } else if constexpr (std::is_same_v<T, std::string>) {
        if (!v.is_string()) fail(p, "must be a string");
      }
      out = v.get<T>();
    } catch (const json::exception& e) {
      fail(p, e.what());
    }
  }

 private:
  std::string source_;
};

void one_of(const Reader& r, const std::string& path, const std::string& value,
            const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return;
  auto near = did_you_mean(value, allowed);
  r.fail(path, "'" + value + "' is not one of " + join(allowed, ", "),
         near ? "did you mean '" + *near + "'?" : "");
}

std::string resolve(const std::string& base, const std::string& p) {
  if (p.empty() || stdfs::path(p).is_absolute()) return p;
  return (stdfs::path(base) / p).lexically_normal().string();
}

std::string format_from_path(const std::string& path) {
  std::string p = to_lower(path);
  if (ends_with(p, ".gz")) p = p.substr(0, p.size() - 3);
  for (const char* ext : {".csv", ".npy", ".npz", ".pt", ".pth"}) {
    if (ends_with(p, ext)) return std::string(ext + 1) == "pth" ? "pt" : ext + 1;
  }
  if (p.find("idx") != std::string::npos || p.find("ubyte") != std::string::npos) return "idx";
  return "";
}

DataSpec parse_data(const Reader& r, const json& j, const std::string& path,
                    const std::string& base) {
  DataSpec d;
  r.known_keys(j, path,
               {"path", "format", "labels_path", "label_column", "header", "features_key",
                "labels_key", "scale"});
  r.opt(j, path, "path", d.path);
  if (d.path.empty()) r.fail(path + ".path", "is required");
  r.opt(j, path, "format", d.format);
  r.opt(j, path, "labels_path", d.labels_path);
  r.opt(j, path, "label_column", d.label_column);
  r.opt(j, path, "header", d.header);
  r.opt(j, path, "features_key", d.features_key);
  r.opt(j, path, "labels_key", d.labels_key);
  r.opt(j, path, "scale", d.scale);
  if (d.format.empty()) d.format = format_from_path(d.path);
  if (d.format.empty()) {
    r.fail(path + ".format", "cannot tell the format of '" + d.path + "'",
           "set format to one of csv, npy, npz, pt, idx");
  }
  one_of(r, path + ".format", d.format, {"csv", "npy", "npz", "pt", "idx"});
  if ((d.format == "npy" || d.format == "idx") && d.labels_path.empty()) {
    r.fail(path + ".labels_path", "is required for format " + d.format,
           "give the labels as a second file of the same format");
  }
  d.path = resolve(base, d.path);
  d.labels_path = resolve(base, d.labels_path);
  return d;
}

}  // namespace

bool NativeConfig::wants_accuracy() const {
  return std::find(metrics.begin(), metrics.end(), "accuracy") != metrics.end();
}

NativeConfig parse_native_config(const json& j, const std::string& base_dir,
                                 const std::string& source_name) {
  Reader r(source_name);
  NativeConfig c;
  c.config_path = source_name;
  r.known_keys(j, "",
               {"model", "data", "input_shape", "epochs", "batch_size", "max_steps", "shuffle",
                "seed", "optimizer", "lr_schedule", "loss", "metrics", "threads", "checkpoint",
                "device", "tensorboard", "log_every_steps"});
  r.opt(j, "", "model", c.model);
  if (c.model.empty()) {
    r.fail("model", "is required", "path of a TorchScript module saved with torch.jit.save");
  }
  c.model = resolve(base_dir, c.model);
  if (!j.contains("data")) r.fail("data", "is required");
  const json& data = j["data"];
  r.known_keys(data, "data", {"train", "validation", "validation_split"});
  if (!data.contains("train")) r.fail("data.train", "is required");
  c.train = parse_data(r, data["train"], "data.train", base_dir);
  if (data.contains("validation")) {
    c.validation = parse_data(r, data["validation"], "data.validation", base_dir);
  }
  r.opt(data, "data", "validation_split", c.validation_split);
  if (c.validation_split < 0 || c.validation_split >= 1) {
    r.fail("data.validation_split", "must be in [0, 1)");
  }
  if (c.validation.present() && c.validation_split > 0) {
    r.fail("data.validation_split", "cannot be combined with data.validation");
  }
  if (j.contains("input_shape")) {
    if (!j["input_shape"].is_array()) r.fail("input_shape", "must be a list of integers");
    for (const auto& d : j["input_shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() <= 0) {
        r.fail("input_shape", "must be a list of positive integers");
      }
      c.input_shape.push_back(d.get<int64_t>());
    }
  }
  r.opt(j, "", "epochs", c.epochs);
  r.opt(j, "", "batch_size", c.batch_size);
  r.opt(j, "", "max_steps", c.max_steps);
  r.opt(j, "", "shuffle", c.shuffle);
  r.opt(j, "", "seed", c.seed);
  if (c.epochs < 1) r.fail("epochs", "must be >= 1");
  if (c.batch_size < 1) r.fail("batch_size", "must be >= 1");
  if (c.max_steps < 0) r.fail("max_steps", "must be >= 0");
  if (j.contains("optimizer")) {
    const json& o = j["optimizer"];
    r.known_keys(o, "optimizer",
                 {"name", "lr", "momentum", "weight_decay", "nesterov", "beta1", "beta2", "eps"});
    r.opt(o, "optimizer", "name", c.optimizer.name);
    c.optimizer.name = to_lower(c.optimizer.name);
    one_of(r, "optimizer.name", c.optimizer.name, {"sgd", "adam", "adamw"});
    r.opt(o, "optimizer", "lr", c.optimizer.lr);
    r.opt(o, "optimizer", "momentum", c.optimizer.momentum);
    r.opt(o, "optimizer", "weight_decay", c.optimizer.weight_decay);
    r.opt(o, "optimizer", "nesterov", c.optimizer.nesterov);
    r.opt(o, "optimizer", "beta1", c.optimizer.beta1);
    r.opt(o, "optimizer", "beta2", c.optimizer.beta2);
    r.opt(o, "optimizer", "eps", c.optimizer.eps);
    if (c.optimizer.name == "adamw" && !o.contains("weight_decay")) {
      c.optimizer.weight_decay = 0.01;  // torch.optim.AdamW's default
    }
    if (c.optimizer.lr <= 0) r.fail("optimizer.lr", "must be > 0");
  }
  if (j.contains("lr_schedule")) {
    const json& s = j["lr_schedule"];
    r.known_keys(s, "lr_schedule", {"name", "step_size", "gamma", "t_max", "min_lr"});
    r.opt(s, "lr_schedule", "name", c.lr_schedule.name);
    one_of(r, "lr_schedule.name", c.lr_schedule.name, {"none", "step", "cosine"});
    r.opt(s, "lr_schedule", "step_size", c.lr_schedule.step_size);
    r.opt(s, "lr_schedule", "gamma", c.lr_schedule.gamma);
    r.opt(s, "lr_schedule", "t_max", c.lr_schedule.t_max);
    r.opt(s, "lr_schedule", "min_lr", c.lr_schedule.min_lr);
    if (c.lr_schedule.step_size < 1) r.fail("lr_schedule.step_size", "must be >= 1");
  }
  r.opt(j, "", "loss", c.loss);
  one_of(r, "loss", c.loss, {"cross_entropy", "mse", "bce_with_logits"});
  if (j.contains("metrics")) {
    if (!j["metrics"].is_array()) r.fail("metrics", "must be a list");
    c.metrics.clear();
    for (const auto& m : j["metrics"]) {
      if (!m.is_string()) r.fail("metrics", "must be a list of names");
      one_of(r, "metrics", m.get<std::string>(), {"loss", "accuracy"});
      c.metrics.push_back(m.get<std::string>());
    }
  }
  if (c.wants_accuracy() && c.loss == "mse") {
    r.fail("metrics", "accuracy needs a classification loss (cross_entropy or bce_with_logits)");
  }
  r.opt(j, "", "threads", c.threads);
  if (j.contains("checkpoint")) {
    const json& k = j["checkpoint"];
    r.known_keys(k, "checkpoint", {"every_epochs", "every_steps", "keep", "resume"});
    r.opt(k, "checkpoint", "every_epochs", c.checkpoint.every_epochs);
    r.opt(k, "checkpoint", "every_steps", c.checkpoint.every_steps);
    r.opt(k, "checkpoint", "keep", c.checkpoint.keep);
    r.opt(k, "checkpoint", "resume", c.checkpoint.resume);
    if (c.checkpoint.keep < 1) r.fail("checkpoint.keep", "must be >= 1");
  }
  r.opt(j, "", "device", c.device);
  one_of(r, "device", c.device, {"auto", "cpu", "cuda"});
  r.opt(j, "", "tensorboard", c.tensorboard);
  r.opt(j, "", "log_every_steps", c.log_every_steps);
  return c;
}

NativeConfig load_native_config(const std::string& path) {
  std::string text = fs::read_file(path);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(ErrorKind::kConfig, path + ": not valid JSON: " + e.what(),
                "the native config is JSON (mlbox converts train.native from mlbox.yaml)");
  }
  std::string base = stdfs::absolute(path).parent_path().string();
  return parse_native_config(j, base, path);
}

}  // namespace mlbox::trainer
