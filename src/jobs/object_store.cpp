#include "jobs/object_store.h"

#include "jobs/fetch_destination.h"
#include "util/error.h"

namespace mlbox::jobs {

BucketUri parse_bucket_uri(const std::string& uri) {
  BucketUri b;
  auto pos = uri.find("://");
  if (pos != std::string::npos) b.scheme = uri.substr(0, pos);
  if (b.scheme != "s3" && b.scheme != "gs") {
    throw Error(ErrorKind::kConfig, "'" + uri + "' is not an s3:// or gs:// URI");
  }
  std::string rest = uri.substr(pos + 3);
  auto slash = rest.find('/');
  b.bucket = rest.substr(0, slash);
  if (slash != std::string::npos) b.key = rest.substr(slash + 1);
  while (!b.key.empty() && b.key.back() == '/') b.key.pop_back();
  if (b.bucket.empty()) throw Error(ErrorKind::kConfig, "'" + uri + "' names no bucket");
  return b;
}

std::string join_key(const std::string& prefix, const std::string& rel) {
  if (prefix.empty()) return rel;
  if (rel.empty()) return prefix;
  return prefix.back() == '/' ? prefix + rel : prefix + "/" + rel;
}

std::vector<std::filesystem::path> download_prefix(
    ObjectStore& store, const std::string& uri, const std::filesystem::path& dest,
    const std::function<bool(const std::string& relative_key)>& want) {
  BucketUri b = parse_bucket_uri(uri);
  std::string prefix = b.key.empty() ? "" : b.key + "/";
  // Every key is checked before the first byte is written.
  std::vector<std::pair<ObjectInfo, std::filesystem::path>> wanted;
  for (const auto& o : store.list(b.bucket, prefix)) {
    if (o.key.size() <= prefix.size() || o.key.back() == '/') continue;
    if (want && !want(o.key.substr(prefix.size()))) continue;
    wanted.emplace_back(o, path_inside(dest, o.key.substr(prefix.size()), uri));
  }
  std::vector<std::filesystem::path> out;
  for (const auto& [object, path] : wanted) {
    store.get_listed(b.bucket, object, path);
    out.push_back(path);
  }
  return out;
}

bool is_metrics_file(const std::string& relative_key) {
  if (relative_key == "metrics.jsonl" || relative_key == "history.json" ||
      relative_key == "summary.json") {
    return true;
  }
  auto slash = relative_key.rfind('/');
  std::string name = slash == std::string::npos ? relative_key : relative_key.substr(slash + 1);
  return name.rfind("events.out.tfevents.", 0) == 0;
}

std::vector<std::filesystem::path> fetch_job_metrics(ObjectStore& store,
                                                     const std::string& output_uri,
                                                     const std::filesystem::path& dest) {
  return download_prefix(store, output_uri, dest, is_metrics_file);
}

std::vector<std::filesystem::path> fetch_job_outputs(ObjectStore& store,
                                                     const std::string& output_uri,
                                                     const std::filesystem::path& dest,
                                                     bool checkpoints) {
  auto files = download_prefix(store, output_uri, dest, [checkpoints](const std::string& rel) {
    return checkpoints || rel.rfind("checkpoints/", 0) != 0;
  });
  if (files.empty()) {
    throw Error(ErrorKind::kRemote, "no outputs under " + output_uri,
                "the job writes them as it trains and when it ends; check `mlbox status` and "
                "`mlbox logs`");
  }
  return files;
}

}  // namespace mlbox::jobs
