#include "trainer/trial_setup.h"

#include <unistd.h>

#include <chrono>
#include <deque>

#include <fmt/format.h>

#include "jobs/object_store.h"
#include "metrics/metrics_jsonl.h"
#include "sweep/trial_plan.h"
#include "trainer/remote_sync.h"
#include "util/error.h"
#include "util/fs.h"

namespace mlbox::trainer {

namespace stdfs = std::filesystem;

namespace {

constexpr size_t kHypertuneEntries = 100;  // cloudml-hypertune's deque

std::string read_plan(const std::string& uri) {
  if (uri.starts_with("s3://") || uri.starts_with("gs://")) {
    auto stores = RemoteSync::process_stores();
    jobs::BucketUri b = jobs::parse_bucket_uri(uri);
    auto store = stores(b.scheme);
    stdfs::path tmp = stdfs::temp_directory_path() /
                      fmt::format("mlbox-sweep-plan-{}.json", static_cast<long>(::getpid()));
    store->get_file(b.bucket, b.key, tmp);
    std::string text = fs::read_file(tmp);
    std::error_code ec;
    stdfs::remove(tmp, ec);
    return text;
  }
  std::string text;
  if (!fs::read_file_if_exists(uri, text)) {
    throw Error(ErrorKind::kConfig, "the sweep plan " + uri + " does not exist");
  }
  return text;
}

bool is_bucket(const std::string& uri) {
  return uri.starts_with("s3://") || uri.starts_with("gs://");
}

}  // namespace

std::optional<sweep::TrialAssignment> apply_trial_assignment(EnvMap& env,
                                                             std::vector<std::string>& command,
                                                             bool native) {
  auto a = sweep::assignment_from_env(env, read_plan, command);
  if (!a) return a;
  // An array child's destinations: the job's are the sweep's; this trial writes under its own.
  if (!a->output.empty() && is_bucket(a->output)) {
    env["MLBOX_MODEL_DIR"] = a->output + "/model";
    env["MLBOX_CHECKPOINT_DIR"] = a->output + "/checkpoints";
    env["MLBOX_TENSORBOARD_DIR"] = a->output + "/tensorboard";
  }
  sweep::add_trial_env(*a, env);
  if (!native) sweep::append_trial_args(*a, command);
  return a;
}

std::string apply_trial_native_config(const sweep::TrialAssignment& a, const std::string& json_path,
                                      const stdfs::path& scratch_dir) {
  auto config = nlohmann::json::parse(fs::read_file(json_path), nullptr, false);
  if (config.is_discarded()) {
    throw Error(ErrorKind::kConfig, json_path + " is not JSON");
  }
  sweep::apply_trial_config(a, config);
  stdfs::create_directories(scratch_dir);
  stdfs::path out = scratch_dir / "native-config-trial.json";
  fs::write_file_atomic(out, config.dump(2) + "\n");
  return out.string();
}

stdfs::path hypertune_metric_file(const EnvMap& env) {
  auto it = env.find("CLOUD_ML_HP_METRIC_FILE");
  if (it != env.end() && !it->second.empty()) return it->second;
  return "/tmp/hypertune/output.metrics";
}

std::string hypertune_lines(const std::string& metrics_jsonl, const std::string& metric,
                            const std::string& trial, double now) {
  auto parsed = metrics::parse_metrics_jsonl(metrics_jsonl, metrics::kMetricsFile);
  std::deque<nlohmann::json> kept;
  long long index = 0;
  for (const auto& line : parsed.lines) {
    auto v = line.values.find(metric);
    if (v == line.values.end()) continue;
    long long step = line.step ? *line.step : line.epoch ? *line.epoch : index;
    ++index;
    // cloudml-hypertune: str(float), str(int(step)); nlohmann sorts object keys.
    nlohmann::json j = {{"timestamp", line.wall_time.value_or(now)},
                        {"trial", trial.empty() ? "0" : trial},
                        {metric, fmt::format("{}", v->second)},
                        {"global_step", std::to_string(step)}};
    kept.push_back(std::move(j));
    if (kept.size() > kHypertuneEntries) kept.pop_front();
  }
  std::string out;
  for (const auto& j : kept) out += j.dump() + "\n";
  return out;
}

bool report_hypertune_metric(const sweep::TrialAssignment& a, const EnvMap& env,
                             const stdfs::path& output_dir) {
  auto platform = env.find("MLBOX_PLATFORM");
  bool vertex = env.count("CLOUD_ML_TRIAL_ID") || env.count("CLOUD_ML_HP_METRIC_FILE") ||
                (platform != env.end() && platform->second == "vertex");
  if (!vertex || a.metric.empty()) return false;
  std::string jsonl;
  if (!fs::read_file_if_exists(output_dir / metrics::kMetricsFile, jsonl)) {
    std::string history;
    if (!fs::read_file_if_exists(output_dir / "history.json", history)) return false;
    auto h = nlohmann::json::parse(history, nullptr, false);
    if (h.is_discarded()) return false;
    jsonl = metrics::history_to_metrics_jsonl(h);
  }
  auto trial = env.find("CLOUD_ML_TRIAL_ID");
  double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string text =
      hypertune_lines(jsonl, a.metric, trial != env.end() ? trial->second : a.trial, now);
  if (text.empty()) return false;
  stdfs::path file = hypertune_metric_file(env);
  stdfs::create_directories(file.parent_path());
  fs::write_file_atomic(file, text);
  return true;
}

}  // namespace mlbox::trainer
