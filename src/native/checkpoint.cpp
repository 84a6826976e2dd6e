#include "native/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Generator.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "native/checkpoint_format.h"
#include "util/fs.h"

namespace mlbox::trainer {

namespace stdfs = std::filesystem;

std::string checkpoint_name(int64_t global_step) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "ckpt-%010lld.mlbox", static_cast<long long>(global_step));
  return buf;
}

void save_checkpoint(const std::string& path, const torch::jit::Module& model,
                     torch::optim::Optimizer& optimizer, const TrainState& s) {
  torch::serialize::OutputArchive ar;
  for (const auto& p : model.named_parameters(true)) ar.write("model.param." + p.name, p.value);
  for (const auto& b : model.named_buffers(true)) ar.write("model.buffer." + b.name, b.value, true);
  torch::serialize::OutputArchive opt;
  optimizer.save(opt);
  ar.write("optimizer", opt);
  ar.write("state.epoch", c10::IValue(s.epoch));
  ar.write("state.step_in_epoch", c10::IValue(s.step_in_epoch));
  ar.write("state.global_step", c10::IValue(s.global_step));
  ar.write("state.accumulators",
           c10::IValue(std::vector<double>{s.loss_sum, s.correct, s.count, s.correct_den}));
  ar.write("state.seed", c10::IValue(static_cast<int64_t>(s.seed)));
  ar.write("state.history", c10::IValue(s.history_json));
  auto gen = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    ar.write("rng.torch_cpu", gen.get_state(), true);
  }
  std::ostringstream os;
  ar.save_to(os);
  fs::write_file_atomic(path, seal_checkpoint(os.str()));
}

bool load_checkpoint(const std::string& path, torch::jit::Module& model,
                     torch::optim::Optimizer& optimizer, TrainState& s, std::string& why) {
  std::string bytes;
  if (!fs::read_file_if_exists(path, bytes)) {
    why = "cannot read";
    return false;
  }
  if (!verify_checkpoint_bytes(bytes, why)) return false;
  try {
    torch::serialize::InputArchive ar;
    ar.load_from(bytes.data(), bytes.size() - kCheckpointTrailerSize, torch::Device(torch::kCPU));
    torch::NoGradGuard no_grad;
    for (const auto& p : model.named_parameters(true)) {
      at::Tensor t;
      ar.read("model.param." + p.name, t);
      p.value.copy_(t);
    }
    for (const auto& b : model.named_buffers(true)) {
      at::Tensor t;
      ar.read("model.buffer." + b.name, t, true);
      b.value.copy_(t);
    }
    torch::serialize::InputArchive opt;
    ar.read("optimizer", opt);
    optimizer.load(opt);
    c10::IValue v;
    ar.read("state.epoch", v);
    s.epoch = v.toInt();
    ar.read("state.step_in_epoch", v);
    s.step_in_epoch = v.toInt();
    ar.read("state.global_step", v);
    s.global_step = v.toInt();
    ar.read("state.accumulators", v);
    auto acc = v.toDoubleVector();
    if (acc.size() != 4) throw std::runtime_error("bad accumulators");
    s.loss_sum = acc[0];
    s.correct = acc[1];
    s.count = acc[2];
    s.correct_den = acc[3];
    ar.read("state.seed", v);
    s.seed = static_cast<uint64_t>(v.toInt());
    ar.read("state.history", v);
    s.history_json = v.toStringRef();
    at::Tensor rng;
    ar.read("rng.torch_cpu", rng, true);
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(rng);
  } catch (const std::exception& e) {
    why = std::string("does not fit this model/optimizer: ") + e.what();
    return false;
  }
  return true;
}

std::vector<std::string> list_checkpoints(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("ckpt-", 0) == 0 && name.size() > 11 &&
        name.compare(name.size() - 6, 6, ".mlbox") == 0) {
      out.push_back(e.path().string());
    }
  }
  std::sort(out.rbegin(), out.rend());  // zero-padded step: lexical order is step order
  return out;
}

void prune_checkpoints(const std::string& dir, int keep) {
  auto all = list_checkpoints(dir);
  std::error_code ec;
  for (size_t i = static_cast<size_t>(keep); i < all.size(); ++i) stdfs::remove(all[i], ec);
}

}  // namespace mlbox::trainer
