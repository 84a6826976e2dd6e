// The little a job needs from a bucket (S3, Cloud Storage): stat, put, get, list. The cloud
// clients (cloud/aws S3, cloud/gcp GCS) are adapted to this; data staging and fetch use it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mlbox::jobs {

// "s3://bucket/a/b" -> {scheme "s3", bucket "bucket", key "a/b"}.
struct BucketUri {
  std::string scheme;
  std::string bucket;
  std::string key;
  std::string str() const { return scheme + "://" + bucket + (key.empty() ? "" : "/" + key); }
};
// Throws Error(kConfig) for anything but s3:// or gs:// with a bucket.
BucketUri parse_bucket_uri(const std::string& uri);
// `base` joined with a relative key: ("s3://b/p", "x/y") -> "s3://b/p/x/y".
std::string join_key(const std::string& prefix, const std::string& rel);

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::string md5_base64;  // when the store reports one (Cloud Storage); else empty
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  virtual std::string scheme() const = 0;  // "s3" | "gs"
  virtual std::optional<ObjectInfo> stat(const std::string& bucket, const std::string& key) = 0;
  virtual void put_file(const std::string& bucket, const std::string& key,
                        const std::filesystem::path& file) = 0;
  virtual void put_bytes(const std::string& bucket, const std::string& key,
                         const std::string& bytes, const std::string& content_type) = 0;
  // Writes atomically (temp + rename) to `dest`.
  virtual void get_file(const std::string& bucket, const std::string& key,
                        const std::filesystem::path& dest) = 0;
  virtual std::vector<ObjectInfo> list(const std::string& bucket, const std::string& prefix) = 0;
  // get_file for an object list() returned, checking its content against what the listing
  // said where the store can (Cloud Storage: the MD5).
  virtual void get_listed(const std::string& bucket, const ObjectInfo& object,
                          const std::filesystem::path& dest) {
    get_file(bucket, object.key, dest);
  }
};

// Downloads every object under `uri` (a prefix) into `dest`, keeping relative paths; with
// `want`, only those whose relative key it accepts. Returns the files written. Keys that
// would escape `dest` ("..") are refused.
std::vector<std::filesystem::path> download_prefix(
    ObjectStore& store, const std::string& uri, const std::filesystem::path& dest,
    const std::function<bool(const std::string& relative_key)>& want = {});

// The objects a run card's metrics come from, by key relative to the job's outputs:
// metrics.jsonl, history.json, summary.json and TensorBoard event files (events.out.tfevents.*
// in any folder).
bool is_metrics_file(const std::string& relative_key);

// `mlbox watch`: the objects is_metrics_file names under `output_uri` into `dest` (none yet
// is not an error: the job has written nothing so far).
std::vector<std::filesystem::path> fetch_job_metrics(ObjectStore& store,
                                                     const std::string& output_uri,
                                                     const std::filesystem::path& dest);

// `mlbox fetch`: a job's outputs under `output_uri` (model/, history.json, summary.json,
// tensorboard/, logs/, outputs/; checkpoints/ only when `checkpoints`) into `dest`. Nothing
// there is an error saying where to look.
std::vector<std::filesystem::path> fetch_job_outputs(ObjectStore& store,
                                                     const std::string& output_uri,
                                                     const std::filesystem::path& dest,
                                                     bool checkpoints);

}  // namespace mlbox::jobs
