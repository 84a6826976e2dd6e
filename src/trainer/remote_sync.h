// Bucket destinations of the platform layout (s3://, gs:// without Vertex's FUSE mount):
// checkpoints are restored from the bucket at start and uploaded as they appear (each
// supervisor sync) and at the end; the model, TensorBoard logs and outputs are uploaded at
// the end (also after a preemption, so nothing the attempt wrote is lost). Metrics go up
// while the job runs (upload_metrics, every metrics interval): the TensorBoard dir and the
// output dir's metrics.jsonl / history.json. Data sources
// (MLBOX_DATA_SOURCES, written by `mlbox submit`) are materialised into MLBOX_DATA_DIR/<name>.
// Uploads are incremental: a file goes up again only when its size or mtime changed.
#pragma once

#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "jobs/object_store.h"
#include "trainer/platform_contract.h"

namespace mlbox::trainer {

// Files of the output dir that move while the job runs (the rest moves at the end).
inline constexpr const char* kLiveOutputFiles[] = {"metrics.jsonl", "history.json"};

class RemoteSync {
 public:
  using StoreFactory = std::function<std::unique_ptr<jobs::ObjectStore>(const std::string&)>;

  RemoteSync(std::vector<RemoteDir> remotes, StoreFactory stores, FILE* log);
  // S3 and Cloud Storage clients from the process environment (AWS chain incl. the ECS/Batch
  // container credentials; Google ADC incl. the metadata server).
  static StoreFactory process_stores();

  bool active() const { return !remotes_.empty(); }
  // Downloads what the bucket holds for `role` into its staging dir; returns files written.
  size_t restore(const std::string& role);
  // Uploads new or changed files of `role` (every role when empty); returns files uploaded.
  size_t upload(const std::string& role = "");
  // Uploads the live metrics: new or changed files of the TensorBoard dir and the output dir's
  // metrics files (kLiveOutputFiles). Object stores cannot append, so a file that grew goes up
  // whole again. Returns files uploaded.
  size_t upload_metrics();
  // Deletes the local staging dirs (after the final upload).
  void remove_staging();
  // "name=uri;..." -> files under data_dir/<name>. Returns files written or kept.
  size_t materialize_data(const std::string& sources, const std::string& data_dir);

 private:
  jobs::ObjectStore& store(const std::string& scheme);
  // `wanted(role, path relative to the role's dir)` picks the files.
  size_t upload_where(const std::function<bool(const std::string&, const std::string&)>& wanted);
  std::vector<RemoteDir> remotes_;
  StoreFactory factory_;
  FILE* log_;
  std::map<std::string, std::unique_ptr<jobs::ObjectStore>> stores_;
  std::map<std::string, std::pair<uintmax_t, long long>> uploaded_;  // path -> size, mtime
};

// Start of a run: restores the checkpoints of a bucket checkpoint dir and materialises
// MLBOX_DATA_SOURCES. Errors (credentials, network) are fatal: training without its
// checkpoints or data would waste the attempt.
RemoteSync start_remote_sync(const PlatformLayout& layout, const EnvMap& env);
// End of a run (success, failure or preemption): rank 0 uploads every bucket dir. Errors are
// reported, not thrown, so the run's own exit code survives.
void finish_remote_sync(RemoteSync& remote, const PlatformLayout& layout);

}  // namespace mlbox::trainer
