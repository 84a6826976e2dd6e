#include "native/native_trainer.h"

#include <torch/csrc/jit/python/update_graph_executor_opt.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <time.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>

#include "native/checkpoint.h"
#include "native/datasets.h"
#include "native/distributed.h"
#include "native/history.h"
#include "native/tensorboard_writer.h"
#include "util/error.h"
#include "util/fs.h"

namespace mlbox::trainer {

namespace stdfs = std::filesystem;
using Clock = std::chrono::steady_clock;

nlohmann::json NativeRunResult::to_json() const {
  return {{"preempted", preempted},
          {"resumed_from_step", resumed_from_step},
          {"first_step", first_step},
          {"steps_run", steps_run},
          {"global_step", global_step},
          {"seconds", seconds},
          {"cpu_seconds", cpu_seconds},
          {"loop_seconds", loop_seconds},
          {"samples_per_sec", samples_per_sec},
          {"final_metrics", final_metrics},
          {"rank_weight_divergence", rank_weight_divergence}};
}

namespace {

// Process CPU time in seconds (all threads, user + system): less sensitive than wall time to
// other processes sharing the cores.
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The shuffle is a pure function of (seed, epoch), so a resumed run replays the interrupted
// epoch's order exactly; the checkpoint records the seed.
std::vector<int64_t> epoch_order(uint64_t seed, int64_t epoch, int64_t n, bool shuffle) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  if (!shuffle) return order;
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch) + 1);
  for (int64_t i = n - 1; i > 0; --i) {
    auto j = static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

double scheduled_lr(const NativeConfig& c, int64_t epoch) {
  const auto& s = c.lr_schedule;
  double base = c.optimizer.lr;
  if (s.name == "step") {
    return base * std::pow(s.gamma, static_cast<double>(epoch / s.step_size));
  }
  if (s.name == "cosine") {
    double t_max = s.t_max > 0 ? s.t_max : c.epochs;
    double t = std::min(static_cast<double>(epoch), t_max);
    return s.min_lr + (base - s.min_lr) * (1 + std::cos(M_PI * t / t_max)) / 2;
  }
  return base;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerSpec& o,
                                                        std::vector<at::Tensor> params) {
  if (o.name == "sgd") {
    return std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(o.lr)
                                                           .momentum(o.momentum)
                                                           .weight_decay(o.weight_decay)
                                                           .nesterov(o.nesterov));
  }
  if (o.name == "adam") {
    return std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(o.lr)
                                                            .betas({o.beta1, o.beta2})
                                                            .eps(o.eps)
                                                            .weight_decay(o.weight_decay));
  }
  return std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(o.lr)
                                                           .betas({o.beta1, o.beta2})
                                                           .eps(o.eps)
                                                           .weight_decay(o.weight_decay));
}

at::Tensor compute_loss(const std::string& loss, const at::Tensor& out, const at::Tensor& y) {
  if (loss == "cross_entropy") return torch::nn::functional::cross_entropy(out, y);
  if (loss == "mse") return torch::mse_loss(out, y.view_as(out));
  return torch::binary_cross_entropy_with_logits(out, y.view_as(out));
}

// Number of correct predictions and of predictions made.
std::pair<double, double> count_correct(const std::string& loss, const at::Tensor& out,
                                        const at::Tensor& y) {
  if (loss == "cross_entropy") {
    return {out.argmax(1).eq(y).sum().item<double>(), static_cast<double>(y.size(0))};
  }
  auto pred = out.gt(0);
  auto truth = y.view_as(out).gt(0.5);
  return {pred.eq(truth).sum().item<double>(), static_cast<double>(out.numel())};
}

at::Tensor forward(torch::jit::Module& model, const at::Tensor& x) {
  return model.forward({x}).toTensor();
}

struct Evaluation {
  double loss = 0, accuracy = 0;
};

Evaluation evaluate(torch::jit::Module& model, const TensorDataset& ds, const NativeConfig& c,
                    const torch::Device& device) {
  torch::NoGradGuard no_grad;
  model.eval();
  double loss_sum = 0, correct = 0, den = 0;
  const int64_t bs = std::max<int64_t>(c.batch_size, 256);
  for (int64_t i = 0; i < ds.size(); i += bs) {
    int64_t n = std::min(bs, ds.size() - i);
    auto x = ds.x.narrow(0, i, n).to(device);
    auto y = ds.y.narrow(0, i, n).to(device);
    auto out = forward(model, x);
    loss_sum += compute_loss(c.loss, out, y).item<double>() * static_cast<double>(n);
    if (c.wants_accuracy()) {
      auto [k, d] = count_correct(c.loss, out, y);
      correct += k;
      den += d;
    }
  }
  model.train();
  return {loss_sum / static_cast<double>(ds.size()), den > 0 ? correct / den : 0};
}

// One process per GPU: rank i on a node trains on cuda:LOCAL_RANK (the supervisor starts one
// process per visible GPU and sets LOCAL_RANK).
torch::Device pick_device(const NativeConfig& c, int local_rank) {
  bool cuda = torch::cuda::is_available();
  if (c.device == "cuda" && !cuda) {
    throw Error(ErrorKind::kConfig, c.config_path + ": device: cuda, but no CUDA device is usable",
                "use device: auto to fall back to the CPU (mlbox-trainer --probe shows why)");
  }
  if (c.device == "cpu" || !cuda) return torch::Device(torch::kCPU);
  int count = static_cast<int>(torch::cuda::device_count());
  int index = count > 0 ? local_rank % count : 0;
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

std::string fmt_metrics(const std::map<std::string, double>& m) {
  std::ostringstream o;
  o.precision(4);
  o << std::fixed;
  for (const auto& [k, v] : m) o << " " << k << " " << v;
  return o.str();
}

}  // namespace

NativeRunResult train_native(const NativeConfig& c, const PlatformLayout& layout,
                             const std::atomic<bool>& stop, FILE* log) {
  if (c.threads > 0) at::set_num_threads(c.threads);
  // Training runs the module's graph in the interpreter without the graph executor's
  // optimizations: every op goes through eager autograd, as in a PyTorch loop. The profiling
  // executor's differentiable subgraphs (symbolic gradients, profiling runs, re-specialization)
  // were slower for the bench CNN on CPU: 1.0-1.1x over 150 steps, 1.3x over 40
  // (docs/BENCHMARKS.md); the weights come out bit-identical.
  // MLBOX_JIT_OPTIMIZE=1 turns them back on (a diagnostic).
  const char* jit_opt = std::getenv("MLBOX_JIT_OPTIMIZE");
  torch::jit::setGraphExecutorOptimize(jit_opt && std::string(jit_opt) == "1");
  torch::Device device = pick_device(c, layout.local_rank);
  const bool root = layout.rank == 0;
  // With several processes on this node the supervisor already starts each line with
  // "[rank i] " (trainer/process_ranks.h sets LOCAL_WORLD_SIZE to their count): the rank is
  // named here only when it is not, so it appears once.
  const char* local_world = std::getenv("LOCAL_WORLD_SIZE");
  const bool prefixed = local_world && std::atoi(local_world) > 1;
  const std::string rank_tag =
      layout.distributed() && !prefixed ? " [rank " + std::to_string(layout.rank) + "]" : "";
  auto say = [&](const std::string& text) {
    if (!root) return;
    std::fprintf(log, "mlbox-trainer:%s %s\n", rank_tag.c_str(), text.c_str());
    std::fflush(log);
  };

  std::unique_ptr<Collectives> dist;
  if (layout.distributed()) dist = Collectives::connect(layout, device.is_cuda(), log);
  const int64_t world = layout.world_size;

  torch::jit::Module model;
  try {
    model = torch::jit::load(c.model, device);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::kConfig, c.model + ": cannot load the TorchScript module: " + e.what(),
                "save it with torch.jit.save(torch.jit.script(model), path)");
  }
  model.train();
  std::vector<at::Tensor> params;
  for (const auto& p : model.parameters(true)) params.push_back(p);
  if (params.empty()) throw Error(ErrorKind::kConfig, c.model + ": the module has no parameters");
  auto optimizer = make_optimizer(c.optimizer, params);

  TensorDataset train = load_dataset(c.train, c.input_shape, c.loss);
  TensorDataset val;
  if (c.validation.present()) {
    val = load_dataset(c.validation, c.input_shape, c.loss);
  } else if (c.validation_split > 0) {
    split_validation(train, c.validation_split, val);
  }
  const int64_t n = train.size();
  const int64_t global_batch = static_cast<int64_t>(c.batch_size) * world;
  const int64_t steps_per_epoch = (n + global_batch - 1) / global_batch;
  say("train " + std::to_string(n) + " samples, validation " + std::to_string(val.size()) + ", " +
      std::to_string(steps_per_epoch) + " steps/epoch, batch " + std::to_string(c.batch_size) +
      (world > 1 ? " x " + std::to_string(world) + " ranks" : "") + ", device " + device.str() +
      ", threads " + std::to_string(at::get_num_threads()));

  History history;
  history.set_params({{"epochs", c.epochs},
                      {"steps", steps_per_epoch},
                      {"batch_size", c.batch_size},
                      {"world_size", world},
                      {"samples", n}});
  TrainState st;
  st.seed = c.seed;
  NativeRunResult result;
  const std::string& ckdir = layout.checkpoint_dir;
  if (c.checkpoint.resume) {
    for (const auto& path : list_checkpoints(ckdir)) {
      TrainState loaded;
      std::string why;
      if (load_checkpoint(path, model, *optimizer, loaded, why)) {
        st = loaded;
        result.resumed_from_step = st.global_step;
        history = History::from_json(nlohmann::json::parse(st.history_json, nullptr, false));
        say("resumed from " + path + " (epoch " + std::to_string(st.epoch + 1) + ", step " +
            std::to_string(st.global_step) + ")");
        break;
      }
      std::fprintf(log, "mlbox-trainer: WARNING: skipping checkpoint %s: %s\n", path.c_str(),
                   why.c_str());
    }
  }
  if (st.seed != c.seed) {
    throw Error(ErrorKind::kConfig,
                "the checkpoint in " + ckdir + " was made with seed " + std::to_string(st.seed) +
                    ", the config says " + std::to_string(c.seed),
                "use the same seed to resume, or a fresh checkpoint directory");
  }
  if (dist && dist->rank() != 0) st.loss_sum = st.correct = st.count = st.correct_den = 0;
  result.first_step = st.global_step;

  std::unique_ptr<TensorBoardWriter> tb;
  if (root && c.tensorboard) tb = std::make_unique<TensorBoardWriter>(layout.tensorboard_dir);
  const std::string history_path = layout.output_dir + "/history.json";

  auto save = [&](const TrainState& s) {
    TrainState saved = s;
    if (dist) {  // the epoch accumulators are per rank: store their sums
      auto acc = torch::tensor({s.loss_sum, s.correct, s.count, s.correct_den}, torch::kDouble);
      dist->allreduce_sum(acc);
      saved.loss_sum = acc[0].item<double>();
      saved.correct = acc[1].item<double>();
      saved.count = acc[2].item<double>();
      saved.correct_den = acc[3].item<double>();
    }
    if (!root) return;
    saved.history_json = history.to_json().dump();
    std::string path = ckdir + "/" + checkpoint_name(s.global_step);
    save_checkpoint(path, model, *optimizer, saved);
    prune_checkpoints(ckdir, c.checkpoint.keep);
  };
  auto stop_requested = [&]() {
    if (!dist) return stop.load();
    auto flag = torch::tensor({stop.load() ? 1.0 : 0.0}, torch::kDouble);
    dist->allreduce_sum(flag);
    return flag.item<double>() > 0;
  };
  auto finish_preempted = [&]() {
    save(st);
    say("stop requested: checkpoint saved at step " + std::to_string(st.global_step));
    result.preempted = true;
  };

  double train_seconds = 0;
  double train_cpu_seconds = 0;
  int64_t samples_seen = 0;
  bool max_reached = false;
  const auto loop_started = Clock::now();
  while (st.epoch < c.epochs && !max_reached && !result.preempted) {
    const double lr = scheduled_lr(c, st.epoch);
    for (auto& g : optimizer->param_groups()) g.options().set_lr(lr);
    auto order = epoch_order(c.seed, st.epoch, n, c.shuffle);
    auto order_t = torch::from_blob(order.data(), {n}, torch::kLong);
    auto epoch_started = Clock::now();
    int64_t epoch_samples = 0;
    while (st.step_in_epoch < steps_per_epoch) {
      if (c.max_steps > 0 && st.global_step >= c.max_steps) {
        max_reached = true;
        break;
      }
      auto t0 = Clock::now();
      const double cpu0 = process_cpu_seconds();
      // Global batch [s*B, (s+1)*B) of this epoch's order; rank r takes the r-th contiguous
      // slice, and scales its mean loss by its share so the summed gradients equal the
      // single-process gradient of the whole global batch.
      int64_t gstart = st.step_in_epoch * global_batch;
      int64_t gn = std::min(global_batch, n - gstart);
      int64_t chunk = (gn + world - 1) / world;
      int64_t lstart = std::min(gn, chunk * layout.rank);
      int64_t ln = std::min(chunk, gn - lstart);
      optimizer->zero_grad();
      if (ln > 0) {
        auto idx = order_t.narrow(0, gstart + lstart, ln);
        auto x = train.x.index_select(0, idx).to(device);
        auto y = train.y.index_select(0, idx).to(device);
        auto out = forward(model, x);
        auto loss = compute_loss(c.loss, out, y);
        (loss * (static_cast<double>(ln) / static_cast<double>(gn))).backward();
        st.loss_sum += loss.item<double>() * static_cast<double>(ln);
        st.count += static_cast<double>(ln);
        if (c.wants_accuracy()) {
          torch::NoGradGuard ng;
          auto [k, d] = count_correct(c.loss, out.detach(), y);
          st.correct += k;
          st.correct_den += d;
        }
      }
      if (dist) {
        std::vector<at::Tensor> grads;
        for (auto& p : params) {
          if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
          grads.push_back(p.grad().view({-1}));
        }
        auto flat = torch::cat(grads);
        dist->allreduce_sum(flat);
        int64_t off = 0;
        for (auto& p : params) {
          int64_t k = p.numel();
          p.mutable_grad().copy_(flat.narrow(0, off, k).view_as(p));
          off += k;
        }
      }
      optimizer->step();
      ++st.step_in_epoch;
      ++st.global_step;
      ++result.steps_run;
      epoch_samples += gn;
      train_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
      train_cpu_seconds += process_cpu_seconds() - cpu0;
      if (c.log_every_steps > 0 && st.global_step % c.log_every_steps == 0) {
        say("step " + std::to_string(st.global_step) + " loss " +
            std::to_string(st.count > 0 ? st.loss_sum / st.count : 0));
      }
      if (st.step_in_epoch < steps_per_epoch) {
        if (c.checkpoint.every_steps > 0 && st.global_step % c.checkpoint.every_steps == 0) {
          save(st);
        }
        if (stop_requested()) {
          finish_preempted();
          break;
        }
      }
    }
    samples_seen += epoch_samples;
    if (result.preempted || max_reached) break;

    // Epoch end: global metrics, history, TensorBoard, checkpoint.
    auto acc = torch::tensor({st.loss_sum, st.correct, st.count, st.correct_den}, torch::kDouble);
    if (dist) dist->allreduce_sum(acc);
    std::map<std::string, double> m;
    m["loss"] = acc[0].item<double>() / std::max(1.0, acc[2].item<double>());
    if (c.wants_accuracy())
      m["accuracy"] = acc[1].item<double>() / std::max(1.0, acc[3].item<double>());
    if (val.size() > 0) {
      Evaluation e = evaluate(model, val, c, device);
      m["val_loss"] = e.loss;
      if (c.wants_accuracy()) m["val_accuracy"] = e.accuracy;
    }
    m["lr"] = lr;
    history.add_epoch(static_cast<int>(st.epoch), m);
    double secs = std::chrono::duration<double>(Clock::now() - epoch_started).count();
    say("epoch " + std::to_string(st.epoch + 1) + "/" + std::to_string(c.epochs) + fmt_metrics(m) +
        " (" + std::to_string(static_cast<int64_t>(epoch_samples / secs)) + " samples/s)");
    if (root) {
      history.write(history_path);
      if (tb) {
        for (const auto& [k, v] : m) tb->scalar("epoch_" + k, st.epoch, static_cast<float>(v));
        tb->flush();
      }
    }
    result.final_metrics = m;
    ++st.epoch;
    st.step_in_epoch = 0;
    st.loss_sum = st.correct = st.count = st.correct_den = 0;
    bool at_every_epochs =
        c.checkpoint.every_epochs > 0 && st.epoch % c.checkpoint.every_epochs == 0;
    bool at_every_steps =
        c.checkpoint.every_steps > 0 && st.global_step % c.checkpoint.every_steps == 0;
    if (at_every_epochs || at_every_steps || st.epoch == c.epochs) save(st);
    if (st.epoch < c.epochs && stop_requested()) finish_preempted();
  }
  result.loop_seconds = std::chrono::duration<double>(Clock::now() - loop_started).count();
  result.global_step = st.global_step;
  result.seconds = train_seconds;
  result.cpu_seconds = train_cpu_seconds;
  result.samples_per_sec =
      train_seconds > 0 ? static_cast<double>(samples_seen) / train_seconds : 0;
  if (result.final_metrics.empty() && !history.metrics().empty()) {
    for (const auto& [k, v] : history.metrics()) result.final_metrics[k] = v.back();
  }
  if (dist) {  // every rank must hold the same weights; prove it rather than assume it
    torch::NoGradGuard ng;
    std::vector<at::Tensor> flat_params;
    for (auto& p : params) flat_params.push_back(p.detach().to(torch::kDouble).view({-1}));
    auto mine = torch::cat(flat_params);
    auto mean = mine.clone();
    dist->allreduce_sum(mean);
    mean.div_(static_cast<double>(world));
    auto divergence = (mine - mean).abs().max().reshape({1});
    dist->allreduce_sum(divergence);
    result.rank_weight_divergence = divergence.item<double>();
    say("weights across " + std::to_string(world) + " ranks: " +
        (result.rank_weight_divergence == 0
             ? std::string("identical")
             : "DIVERGED by " + std::to_string(result.rank_weight_divergence)));
  }
  if (!result.preempted && root) {
    std::ostringstream os;
    model.save(os);
    fs::write_file_atomic(layout.model_dir + "/model.pt", os.str());
    say("model saved to " + layout.model_dir + "/model.pt");
  }
  return result;
}

}  // namespace mlbox::trainer
