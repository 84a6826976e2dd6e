#include "trainer/platform_contract.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <system_error>
#include <vector>

#include "util/error.h"
#include "util/strings.h"

extern char** environ;

namespace mlbox::trainer {

namespace stdfs = std::filesystem;

namespace {

constexpr int kDefaultMasterPort = 29500;

const std::string* get(const EnvMap& env, const std::string& key) {
  auto it = env.find(key);
  if (it == env.end() || it->second.empty()) return nullptr;
  return &it->second;
}

std::string get_or(const EnvMap& env, const std::string& key, const std::string& fallback) {
  const std::string* v = get(env, key);
  return v ? *v : fallback;
}

int parse_int(const std::string& name, const std::string& value, int min_value) {
  int out = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || ptr != value.data() + value.size() || out < min_value) {
    throw Error(ErrorKind::kConfig,
                name + "='" + value + "' is not an integer >= " + std::to_string(min_value),
                "fix or unset " + name);
  }
  return out;
}

int int_or(const EnvMap& env, const std::string& key, int fallback, int min_value) {
  const std::string* v = get(env, key);
  return v ? parse_int(key, *v, min_value) : fallback;
}

bool is_dir(const std::string& path) {
  std::error_code ec;
  return stdfs::is_directory(path, ec);
}

// A destination as a local path. gs:// maps onto the Cloud Storage FUSE mount Vertex provides
// (/gcs/<bucket>/<path>) when it is there; other s3:// and gs:// destinations are staged in a
// local directory that trainer/remote_sync.h restores and uploads.
std::string localize(const std::string& var, const std::string& uri, const std::string& role,
                     const ContractOptions& options, std::vector<RemoteDir>& remotes) {
  if (starts_with(uri, "file://")) return uri.substr(7);
  bool s3 = starts_with(uri, "s3://");
  if (starts_with(uri, "gs://")) {
    std::string rest = uri.substr(5);
    std::string bucket = rest.substr(0, rest.find('/'));
    std::string fuse_bucket = options.gcs_fuse_root + "/" + bucket;
    if (!bucket.empty() && is_dir(fuse_bucket)) return options.gcs_fuse_root + "/" + rest;
  }
  if (s3 || starts_with(uri, "gs://")) {
    std::string rest = uri.substr(5);
    if (rest.empty() || rest.front() == '/') {
      throw Error(ErrorKind::kConfig, var + "=" + uri + " names no bucket",
                  "write " + var + "=" + uri.substr(0, 5) + "BUCKET/PREFIX");
    }
    while (!rest.empty() && rest.back() == '/') rest.pop_back();
    std::string root =
        options.remote_staging_root.empty()
            ? (stdfs::temp_directory_path() / ("mlbox-remote-" + std::to_string(::getpid())))
                  .string()
            : options.remote_staging_root;
    std::string local = root + "/" + role;
    remotes.push_back({role, uri.substr(0, 5) + rest, local});
    return local;
  }
  if (uri.find("://") != std::string::npos) {
    throw Error(ErrorKind::kConfig,
                var + "=" + uri + ": " + uri.substr(0, uri.find("://")) +
                    ":// destinations are not supported",
                "use a local directory, s3://BUCKET/PREFIX or gs://BUCKET/PREFIX");
  }
  return uri;
}

struct Field {
  std::string var;  // the variable it came from, for error messages
  std::string value;
};

// Picks MLBOX_<name> when set, else the platform's candidate, else the fallback.
Field pick(const EnvMap& env, const std::string& mlbox_var, const Field& platform,
           const std::string& fallback) {
  if (const std::string* v = get(env, mlbox_var)) return {mlbox_var, *v};
  if (!platform.value.empty()) return platform;
  return {"(default)", fallback};
}

std::string detect_platform(const EnvMap& env, const ContractOptions& options) {
  if (const std::string* forced = get(env, "MLBOX_PLATFORM")) {
    static const std::vector<std::string> known = {"vertex", "aws-batch", "sagemaker", "local"};
    if (std::find(known.begin(), known.end(), *forced) == known.end()) {
      throw Error(ErrorKind::kConfig, "MLBOX_PLATFORM='" + *forced + "' is unknown",
                  "use one of vertex, aws-batch, sagemaker, local");
    }
    return *forced;
  }
  if (get(env, "AIP_MODEL_DIR") || get(env, "CLUSTER_SPEC") || get(env, "CLOUD_ML_JOB_ID")) {
    return "vertex";
  }
  if (get(env, "AWS_BATCH_JOB_ID")) return "aws-batch";
  if (get(env, "SM_MODEL_DIR") || get(env, "TRAINING_JOB_NAME") ||
      is_dir(options.opt_ml_root + "/input")) {
    return "sagemaker";
  }
  return "local";
}

struct Peers {
  int rank = 0, world = 1, local_rank = 0;
  std::string master_addr;
  int master_port = 0;
};

// Vertex: CLUSTER_SPEC = {"cluster": {"workerpool0": ["host:port"], "workerpool1": [...]},
// "task": {"type": "workerpool1", "index": 0}}. Pool 0 is the chief (rank 0), pool 1 the
// workers; pool 2 (reduction server) and pool 3 (evaluator) are not training ranks.
Peers vertex_peers(const std::string& spec_text) {
  nlohmann::json spec;
  try {
    spec = nlohmann::json::parse(spec_text);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::kConfig, std::string("CLUSTER_SPEC is not valid JSON: ") + e.what());
  }
  auto bad = [](const std::string& what) {
    return Error(ErrorKind::kConfig, "CLUSTER_SPEC: " + what,
                 "expected {\"cluster\": {\"workerpool0\": [\"host:port\"], ...}, "
                 "\"task\": {\"type\": \"workerpool0\", \"index\": 0}}");
  };
  if (!spec.is_object() || !spec.contains("cluster") || !spec["cluster"].is_object()) {
    throw bad("missing object \"cluster\"");
  }
  if (!spec.contains("task") || !spec["task"].is_object()) throw bad("missing object \"task\"");
  const auto& cluster = spec["cluster"];
  auto pool = [&](const char* name) -> std::vector<std::string> {
    if (!cluster.contains(name)) return {};
    if (!cluster[name].is_array()) throw bad(std::string("\"") + name + "\" is not a list");
    std::vector<std::string> out;
    for (const auto& h : cluster[name]) {
      if (!h.is_string()) throw bad(std::string("\"") + name + "\" holds a non-string");
      out.push_back(h.get<std::string>());
    }
    return out;
  };
  auto chief = pool("workerpool0");
  auto workers = pool("workerpool1");
  if (chief.empty()) throw bad("\"workerpool0\" is empty");
  const auto& task = spec["task"];
  std::string type = task.value("type", "");
  if (!task.contains("index") || !task["index"].is_number_integer()) {
    throw bad("task.index is missing");
  }
  int index = task["index"].get<int>();
  Peers p;
  p.world = static_cast<int>(chief.size() + workers.size());
  if (type == "workerpool0") {
    p.rank = index;
  } else if (type == "workerpool1") {
    p.rank = static_cast<int>(chief.size()) + index;
  } else {
    throw bad("task.type '" + type + "' is not a training pool (workerpool0 or workerpool1)");
  }
  if (index < 0 || p.rank >= p.world)
    throw bad("task.index " + std::to_string(index) + " is outside pool '" + type + "'");
  const std::string& master = chief.front();
  auto colon = master.rfind(':');
  p.master_addr = colon == std::string::npos ? master : master.substr(0, colon);
  p.master_port = colon == std::string::npos
                      ? kDefaultMasterPort
                      : parse_int("CLUSTER_SPEC port", master.substr(colon + 1), 1);
  return p;
}

// AWS Batch multi-node parallel jobs: node index/count; the main node's address is given to
// the other nodes only (the main node reaches itself on loopback).
Peers batch_peers(const EnvMap& env) {
  Peers p;
  p.world = int_or(env, "AWS_BATCH_JOB_NUM_NODES", 1, 1);
  int node = int_or(env, "AWS_BATCH_JOB_NODE_INDEX", 0, 0);
  int main_node = int_or(env, "AWS_BATCH_JOB_MAIN_NODE_INDEX", 0, 0);
  if (node >= p.world || main_node >= p.world) {
    throw Error(ErrorKind::kConfig,
                "AWS_BATCH_JOB_NODE_INDEX=" + std::to_string(node) +
                    " / AWS_BATCH_JOB_MAIN_NODE_INDEX=" + std::to_string(main_node) +
                    " is outside AWS_BATCH_JOB_NUM_NODES=" + std::to_string(p.world));
  }
  p.rank = (node - main_node + p.world) % p.world;
  p.master_addr = get_or(env, "AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS", "127.0.0.1");
  p.master_port = kDefaultMasterPort;
  return p;
}

// SageMaker: SM_HOSTS='["algo-1","algo-2"]', SM_CURRENT_HOST='algo-2'.
Peers sagemaker_peers(const EnvMap& env) {
  Peers p;
  const std::string* hosts_text = get(env, "SM_HOSTS");
  const std::string* current = get(env, "SM_CURRENT_HOST");
  if (!hosts_text || !current) return p;
  nlohmann::json hosts = nlohmann::json::parse(*hosts_text, nullptr, false);
  if (!hosts.is_array() || hosts.empty()) {
    throw Error(ErrorKind::kConfig, "SM_HOSTS is not a JSON list of host names: " + *hosts_text);
  }
  std::vector<std::string> names;
  for (const auto& h : hosts) names.push_back(h.is_string() ? h.get<std::string>() : "");
  std::sort(names.begin(), names.end());
  auto it = std::find(names.begin(), names.end(), *current);
  if (it == names.end()) {
    throw Error(ErrorKind::kConfig, "SM_CURRENT_HOST='" + *current + "' is not in SM_HOSTS");
  }
  p.world = static_cast<int>(names.size());
  p.rank = static_cast<int>(it - names.begin());
  p.master_addr = names.front();
  p.master_port = kDefaultMasterPort;
  return p;
}

// torchrun-style variables, honoured on every platform when set explicitly.
Peers explicit_peers(const EnvMap& env, Peers p) {
  if (get(env, "WORLD_SIZE")) p.world = int_or(env, "WORLD_SIZE", 1, 1);
  if (get(env, "RANK")) p.rank = int_or(env, "RANK", 0, 0);
  if (get(env, "MASTER_ADDR")) p.master_addr = *get(env, "MASTER_ADDR");
  return p;
}

}  // namespace

EnvMap current_environment() {
  EnvMap env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

PlatformLayout resolve_platform(const EnvMap& env, const ContractOptions& options) {
  PlatformLayout l;
  l.platform = detect_platform(env, options);
  std::string cwd = stdfs::current_path().string();
  std::string local_root =
      get_or(env, "MLBOX_OUTPUT_DIR",
             options.local_output_root.empty() ? cwd + "/mlbox-output" : options.local_output_root);
  const std::string& ml = options.opt_ml_root;
  bool have_opt_ml = is_dir(ml + "/input") || is_dir(ml + "/model");

  Field model, ckpt, tb, data, out, job;
  Peers peers;
  int attempt = 1;
  if (l.platform == "vertex") {
    model = {"AIP_MODEL_DIR", get_or(env, "AIP_MODEL_DIR", "")};
    ckpt = {"AIP_CHECKPOINT_DIR", get_or(env, "AIP_CHECKPOINT_DIR", "")};
    tb = {"AIP_TENSORBOARD_LOG_DIR", get_or(env, "AIP_TENSORBOARD_LOG_DIR", "")};
    job = {"CLOUD_ML_JOB_ID", get_or(env, "CLOUD_ML_JOB_ID", "")};
    if (const std::string* spec = get(env, "CLUSTER_SPEC")) peers = vertex_peers(*spec);
  } else if (l.platform == "aws-batch") {
    job = {"AWS_BATCH_JOB_ID", get_or(env, "AWS_BATCH_JOB_ID", "")};
    attempt = int_or(env, "AWS_BATCH_JOB_ATTEMPT", 1, 1);
    peers = batch_peers(env);
  } else if (l.platform == "sagemaker") {
    model = {"SM_MODEL_DIR", get_or(env, "SM_MODEL_DIR", ml + "/model")};
    ckpt = {"(sagemaker)", ml + "/checkpoints"};
    tb = {"(sagemaker)", ml + "/output/tensorboard"};
    data = {"(sagemaker)", ml + "/input/data"};
    out = {"SM_OUTPUT_DIR", get_or(env, "SM_OUTPUT_DIR", ml + "/output")};
    job = {"TRAINING_JOB_NAME", get_or(env, "TRAINING_JOB_NAME", "")};
    peers = sagemaker_peers(env);
  }
  // Batch (and Vertex for what it leaves unset) use the /opt/ml tree when the image has one.
  if (have_opt_ml && l.platform != "local") {
    if (model.value.empty()) model = {"(/opt/ml)", ml + "/model"};
    if (ckpt.value.empty()) ckpt = {"(/opt/ml)", ml + "/checkpoints"};
    if (data.value.empty()) data = {"(/opt/ml)", ml + "/input/data"};
    if (tb.value.empty()) tb = {"(/opt/ml)", ml + "/output/tensorboard"};
    if (out.value.empty()) out = {"(/opt/ml)", ml + "/output"};
  }

  Field f_model = pick(env, "MLBOX_MODEL_DIR", model, local_root + "/model");
  l.model_dir = localize(f_model.var, f_model.value, "model", options, l.remotes);
  Field f_ckpt = pick(env, "MLBOX_CHECKPOINT_DIR", ckpt, local_root + "/checkpoints");
  l.checkpoint_dir = localize(f_ckpt.var, f_ckpt.value, "checkpoints", options, l.remotes);
  Field f_tb = pick(env, "MLBOX_TENSORBOARD_DIR", tb, local_root + "/tensorboard");
  l.tensorboard_dir = localize(f_tb.var, f_tb.value, "tensorboard", options, l.remotes);
  Field f_data = pick(env, "MLBOX_DATA_DIR", data, cwd + "/data");
  l.data_dir = localize(f_data.var, f_data.value, "data", options, l.remotes);
  // Outputs that are not the model (summary.json, failure reason) sit beside the model dir
  // unless the platform names a place (Vertex's AIP_MODEL_DIR is <base_output_dir>/model).
  std::string out_default =
      get(env, "MLBOX_OUTPUT_DIR") || l.platform == "local"
          ? local_root
          : stdfs::path(l.model_dir).lexically_normal().parent_path().string();
  // A model in a bucket: the outputs go to the bucket prefix above it, as on local disks.
  if (!get(env, "MLBOX_OUTPUT_DIR") && l.platform != "local" && !l.remotes.empty() &&
      l.remotes.front().role == "model") {
    const std::string& m = l.remotes.front().uri;
    auto slash = m.rfind('/');
    if (slash != std::string::npos && slash > 5) out_default = m.substr(0, slash);
  }
  Field f_out = pick(env, "MLBOX_OUTPUT_DIR", out, out_default);
  l.output_dir = localize(f_out.var, f_out.value, "output", options, l.remotes);
  l.job_id = pick(env, "MLBOX_JOB_ID", job, "local").value;
  l.attempt = int_or(env, "MLBOX_ATTEMPT", attempt, 1);

  peers = explicit_peers(env, peers);
  l.world_size = peers.world;
  l.rank = peers.rank;
  l.local_rank = int_or(env, "LOCAL_RANK", 0, 0);
  l.master_addr = peers.master_addr.empty() ? "127.0.0.1" : peers.master_addr;
  l.master_port =
      int_or(env, "MASTER_PORT", peers.master_port ? peers.master_port : kDefaultMasterPort, 1);
  if (l.rank >= l.world_size) {
    throw Error(ErrorKind::kConfig,
                "rank " + std::to_string(l.rank) + " is not below world size " +
                    std::to_string(l.world_size),
                "check RANK / WORLD_SIZE or the platform's node index variables");
  }
  return l;
}

EnvMap PlatformLayout::exported_env() const {
  EnvMap e = {{"MLBOX_PLATFORM", platform},
              {"MLBOX_MODEL_DIR", model_dir},
              {"MLBOX_CHECKPOINT_DIR", checkpoint_dir},
              {"MLBOX_DATA_DIR", data_dir},
              {"MLBOX_TENSORBOARD_DIR", tensorboard_dir},
              {"MLBOX_OUTPUT_DIR", output_dir},
              {"MLBOX_JOB_ID", job_id},
              {"MLBOX_ATTEMPT", std::to_string(attempt)}};
  if (distributed()) {
    e["RANK"] = std::to_string(rank);
    e["WORLD_SIZE"] = std::to_string(world_size);
    e["LOCAL_RANK"] = std::to_string(local_rank);
    e["MASTER_ADDR"] = master_addr;
    e["MASTER_PORT"] = std::to_string(master_port);
  }
  return e;
}

nlohmann::json PlatformLayout::to_json() const {
  nlohmann::json j;
  for (const auto& [k, v] : exported_env()) j[k] = v;
  return j;
}

void create_layout_dirs(const PlatformLayout& layout) {
  for (const std::string& d :
       {layout.model_dir, layout.checkpoint_dir, layout.tensorboard_dir, layout.output_dir}) {
    std::error_code ec;
    stdfs::create_directories(d, ec);
    if (ec) {
      throw Error(ErrorKind::kConfig, d + ": cannot create directory: " + ec.message(),
                  "check the permissions of the platform's output locations");
    }
  }
}

}  // namespace mlbox::trainer
