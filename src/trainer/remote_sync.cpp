#include "trainer/remote_sync.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>

#include "cloud/aws/s3_object_store.h"
#include "cloud/gcp/gcs_object_store.h"
#include "core/events.h"
#include "jobs/data_staging.h"
#include "trainer/dir_sync.h"
#include "util/error.h"

namespace mlbox::trainer {

namespace stdfs = std::filesystem;

namespace {

// Cloud clients report through an Observer; the trainer has its own log stream.
class LogObserver : public Observer {
 public:
  explicit LogObserver(FILE* log) : log_(log) {}
  void on_event(const Event& event) override {
    const auto* log = std::get_if<LogEvent>(&event);
    if (!log || log->level == LogLevel::kDebug) return;
    std::fprintf(log_, "mlbox-trainer: %s%s\n", log->level == LogLevel::kWarning ? "warning: " : "",
                 log->message.c_str());
    std::fflush(log_);
  }

 private:
  FILE* log_;
};

long long mtime_ns(const stdfs::path& p) {
  return static_cast<long long>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    stdfs::last_write_time(p).time_since_epoch())
                                    .count());
}

}  // namespace

RemoteSync::RemoteSync(std::vector<RemoteDir> remotes, StoreFactory stores, FILE* log)
    : remotes_(std::move(remotes)), factory_(std::move(stores)), log_(log) {}

RemoteSync::StoreFactory RemoteSync::process_stores() {
  static LogObserver observer(stderr);
  return [](const std::string& scheme) -> std::unique_ptr<jobs::ObjectStore> {
    if (scheme == "s3")
      return cloud::aws::make_s3_object_store(config::process_env(), "", observer);
    if (scheme == "gs") return cloud::gcp::make_gcs_object_store(config::process_env(), observer);
    throw Error(ErrorKind::kConfig, "no client for " + scheme + ":// destinations");
  };
}

jobs::ObjectStore& RemoteSync::store(const std::string& scheme) {
  auto it = stores_.find(scheme);
  if (it == stores_.end()) {
    // The clients run a transfer thread; it must not take the SIGTERM meant for the
    // supervisor (a thread with the signal unblocked would get the default action: death
    // without the preemption checkpoint). Threads inherit the creator's mask.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    std::unique_ptr<jobs::ObjectStore> made;
    try {
      made = factory_(scheme);
    } catch (...) {
      pthread_sigmask(SIG_SETMASK, &old, nullptr);
      throw;
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    it = stores_.emplace(scheme, std::move(made)).first;
  }
  return *it->second;
}

size_t RemoteSync::restore(const std::string& role) {
  size_t n = 0;
  for (const auto& r : remotes_) {
    if (r.role != role) continue;
    auto b = jobs::parse_bucket_uri(r.uri);
    auto files = jobs::download_prefix(store(b.scheme), r.uri, r.local);
    for (const auto& f : files) uploaded_[f.string()] = {stdfs::file_size(f), mtime_ns(f)};
    n += files.size();
    if (!files.empty()) {
      std::fprintf(log_, "mlbox-trainer: restored %zu file(s) from %s\n", files.size(),
                   r.uri.c_str());
    }
  }
  return n;
}

size_t RemoteSync::upload(const std::string& role) {
  return upload_where(
      [&role](const std::string& r, const std::string&) { return role.empty() || r == role; });
}

size_t RemoteSync::upload_metrics() {
  return upload_where([](const std::string& role, const std::string& rel) {
    if (role == "tensorboard") return true;
    if (role != "output") return false;
    for (const char* name : kLiveOutputFiles) {
      if (rel == name) return true;
    }
    return false;
  });
}

size_t RemoteSync::upload_where(
    const std::function<bool(const std::string&, const std::string&)>& wanted) {
  size_t n = 0;
  for (const auto& r : remotes_) {
    if (r.role == "data") continue;
    if (!stdfs::is_directory(r.local)) continue;
    auto b = jobs::parse_bucket_uri(r.uri);
    size_t here = 0;
    for (auto it = stdfs::recursive_directory_iterator(r.local);
         it != stdfs::recursive_directory_iterator(); ++it) {
      if (!it->is_regular_file() || is_temp_name(it->path().filename().string())) continue;
      std::string rel = it->path().lexically_relative(r.local).generic_string();
      if (!wanted(r.role, rel)) continue;
      const std::string path = it->path().string();
      std::pair<uintmax_t, long long> now{it->file_size(), mtime_ns(it->path())};
      if (auto u = uploaded_.find(path); u != uploaded_.end() && u->second == now) continue;
      store(b.scheme).put_file(b.bucket, jobs::join_key(b.key, rel), it->path());
      uploaded_[path] = now;
      ++here;
    }
    if (here) {
      std::fprintf(log_, "mlbox-trainer: uploaded %zu file(s) to %s\n", here, r.uri.c_str());
    }
    n += here;
  }
  std::fflush(log_);
  return n;
}

void RemoteSync::remove_staging() {
  for (const auto& r : remotes_) {
    std::error_code ec;
    stdfs::remove_all(r.local, ec);
    // The per-process root above the role dirs, once empty.
    stdfs::remove(stdfs::path(r.local).parent_path(), ec);
  }
}

size_t RemoteSync::materialize_data(const std::string& sources, const std::string& data_dir) {
  size_t n = 0;
  for (const auto& d : jobs::parse_data_sources_env(sources)) {
    auto b = jobs::parse_bucket_uri(d.uri);
    auto files = jobs::materialize_data(store(b.scheme), d.uri, stdfs::path(data_dir) / d.name);
    std::fprintf(log_, "mlbox-trainer: data %s: %zu file(s) from %s\n", d.name.c_str(),
                 files.size(), d.uri.c_str());
    n += files.size();
  }
  std::fflush(log_);
  return n;
}

RemoteSync start_remote_sync(const PlatformLayout& layout, const EnvMap& env) {
  RemoteSync remote(layout.remotes, RemoteSync::process_stores(), stderr);
  if (remote.active()) remote.restore("checkpoints");
  if (auto it = env.find(jobs::kDataSourcesEnv); it != env.end() && !it->second.empty()) {
    remote.materialize_data(it->second, layout.data_dir);
  }
  return remote;
}

void finish_remote_sync(RemoteSync& remote, const PlatformLayout& layout) {
  if (!remote.active()) return;
  try {
    if (layout.rank == 0) remote.upload();
    remote.remove_staging();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mlbox-trainer: error: uploading outputs failed: %s\n", e.what());
  }
}

}  // namespace mlbox::trainer
