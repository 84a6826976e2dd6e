// The platform contract: every backend (Vertex AI, AWS Batch, SageMaker-style /opt/ml, local)
// describes where outputs go and who the peers are in its own environment variables. This maps
// them onto one layout that mlbox-trainer exports to the user's process as MLBOX_* (and, for
// distributed runs, the torch.distributed variables RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
// MASTER_PORT). Pure logic: no torch, no side effects besides reading the file system.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlbox::trainer {

using EnvMap = std::map<std::string, std::string>;

// Snapshot of this process's environment.
EnvMap current_environment();

// A layout directory whose destination is a bucket (s3://, or gs:// without Vertex's FUSE
// mount): the user's process gets the local staging path; trainer/remote_sync.h restores
// and uploads it.
struct RemoteDir {
  std::string role;   // "model", "checkpoints", "tensorboard", "data", "output"
  std::string uri;    // "s3://bucket/prefix"
  std::string local;  // the staging directory standing in for it
};

struct PlatformLayout {
  std::string platform;   // "vertex", "aws-batch", "sagemaker", "local"
  std::string model_dir;  // local paths; bucket destinations are staged (see `remotes`)
  std::string checkpoint_dir;
  std::string data_dir;
  std::string tensorboard_dir;
  std::string output_dir;  // summary.json, failure reason
  std::string job_id;
  int attempt = 1;  // 1-based

  // Distributed: world_size > 1.
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr;
  int master_port = 0;

  std::vector<RemoteDir> remotes;

  bool distributed() const { return world_size > 1; }
  // The variables exported to the user's process.
  EnvMap exported_env() const;
  nlohmann::json to_json() const;
};

struct ContractOptions {
  // Root of the SageMaker-style tree; "/opt/ml" in images. Tests point it elsewhere.
  std::string opt_ml_root = "/opt/ml";
  // Where Vertex mounts Cloud Storage with Cloud Storage FUSE (gs://b/p -> /gcs/b/p).
  std::string gcs_fuse_root = "/gcs";
  // Where bucket destinations are staged locally (empty: $TMPDIR/mlbox-remote-<pid>).
  std::string remote_staging_root;
  // Base for the local backend's default layout.
  std::string local_output_root;  // empty: $PWD/mlbox-output
};

// Resolves the layout from an environment. Precedence per field: an explicit MLBOX_* variable,
// then the platform's own variables, then the /opt/ml tree when present, then local defaults.
// Throws mlbox::Error(kConfig) on a malformed contract (bad CLUSTER_SPEC, rank >= world, a
// remote URI that cannot be used yet) naming the variable and what to do.
PlatformLayout resolve_platform(const EnvMap& env, const ContractOptions& options = {});

// Creates the local directories of the layout (model, checkpoint, tensorboard, output).
void create_layout_dirs(const PlatformLayout& layout);

}  // namespace mlbox::trainer
