#include <doctest/doctest.h>

#include <map>

#include "jobs/data_staging.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;
using namespace mlbox::jobs;

namespace {

// A bucket in memory that counts what moves.
class MemoryStore : public ObjectStore {
 public:
  std::map<std::string, std::string> objects;  // "bucket/key" -> bytes
  int puts = 0, gets = 0;
  std::string scheme() const override { return "s3"; }
  std::optional<ObjectInfo> stat(const std::string& b, const std::string& k) override {
    auto it = objects.find(b + "/" + k);
    if (it == objects.end()) return std::nullopt;
    return ObjectInfo{k, it->second.size(), {}};
  }
  void put_file(const std::string& b, const std::string& k,
                const std::filesystem::path& f) override {
    ++puts;
    objects[b + "/" + k] = fs::read_file(f);
  }
  void put_bytes(const std::string& b, const std::string& k, const std::string& bytes,
                 const std::string&) override {
    ++puts;
    objects[b + "/" + k] = bytes;
  }
  void get_file(const std::string& b, const std::string& k,
                const std::filesystem::path& dest) override {
    ++gets;
    std::filesystem::create_directories(dest.parent_path());
    fs::write_file_atomic(dest, objects.at(b + "/" + k));
  }
  std::vector<ObjectInfo> list(const std::string& b, const std::string& prefix) override {
    std::vector<ObjectInfo> out;
    for (const auto& [name, bytes] : objects) {
      if (name.rfind(b + "/" + prefix, 0) == 0)
        out.push_back({name.substr(b.size() + 1), bytes.size(), {}});
    }
    return out;
  }
};

}  // namespace

TEST_CASE("bucket URIs parse; other schemes are refused") {
  auto b = parse_bucket_uri("gs://bkt/a/b/");
  CHECK(b.scheme == "gs");
  CHECK(b.bucket == "bkt");
  CHECK(b.key == "a/b");
  CHECK(b.str() == "gs://bkt/a/b");
  CHECK_THROWS_AS(parse_bucket_uri("http://x/y"), Error);
  CHECK_THROWS_AS(parse_bucket_uri("s3:///k"), Error);
}

TEST_CASE("data staging: content-addressed, only changed files move, trainer side rebuilds it") {
  fs::TempDir dir;
  auto data = dir.path() / "proj" / "data";
  std::filesystem::create_directories(data / "sub");
  fs::write_file_atomic(data / "a.csv", "1,2\n");
  fs::write_file_atomic(data / "sub" / "b.bin", std::string(1000, 'x'));
  fs::write_file_atomic(data / "same.csv", "1,2\n");  // same content as a.csv: one blob
  MemoryStore store;
  NullObserver quiet;
  std::vector<DataInput> inputs = {{"train", "data"}, {"ext", "s3://other/x"}};
  auto st = stage_data(store, "s3://bkt/runs", inputs, dir.path() / "proj", quiet);
  CHECK(st.files == 3);
  CHECK(st.uploaded == 2);
  CHECK(inputs[1].uri == "s3://other/x");
  REQUIRE(inputs[0].uri.rfind("s3://bkt/runs/mlbox-data/train/", 0) == 0);
  CHECK(inputs[0].uri.size() > 40);

  // Unchanged: nothing moves, same listing URI.
  std::vector<DataInput> again = {{"train", "data"}};
  int puts_before = store.puts;
  st = stage_data(store, "s3://bkt/runs", again, dir.path() / "proj", quiet);
  CHECK(st.uploaded == 0);
  CHECK(store.puts == puts_before);
  CHECK(again[0].uri == inputs[0].uri);

  // One file changed: one blob + a new listing.
  fs::write_file_atomic(data / "sub" / "b.bin", std::string(1000, 'y'));
  std::vector<DataInput> changed = {{"train", "data"}};
  st = stage_data(store, "s3://bkt/runs", changed, dir.path() / "proj", quiet);
  CHECK(st.uploaded == 1);
  CHECK(st.bytes_uploaded == 1000);
  CHECK(changed[0].uri != inputs[0].uri);

  // The trainer's side: the listing -> the same tree.
  auto dest = dir.path() / "job-data" / "train";
  auto files = materialize_data(store, changed[0].uri, dest);
  CHECK(files.size() == 3);
  CHECK(fs::read_file(dest / "sub" / "b.bin") == std::string(1000, 'y'));
  CHECK(fs::read_file(dest / "same.csv") == "1,2\n");
  int gets = store.gets;
  materialize_data(store, changed[0].uri, dest);  // present and valid: only the listing moves
  CHECK(store.gets == gets + 1);

  // A corrupt blob is detected.
  for (auto& [k, v] : store.objects) {
    if (k.find("blobs/sha256/") != std::string::npos && v == std::string(1000, 'y')) v[3] = 'z';
  }
  std::filesystem::remove_all(dest);
  CHECK_THROWS_AS(materialize_data(store, changed[0].uri, dest), Error);
}

TEST_CASE("a missing data path is a config error naming it") {
  MemoryStore store;
  NullObserver quiet;
  std::vector<DataInput> inputs = {{"train", "nope"}};
  try {
    stage_data(store, "gs://b/p", inputs, "/nonexistent-proj", quiet);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    CHECK(std::string(e.what()).find("/nonexistent-proj/nope") != std::string::npos);
  }
}

TEST_CASE("MLBOX_DATA_SOURCES round-trips") {
  std::vector<DataInput> d = {{"train", "s3://b/mlbox-data/train/x.json"}, {"val", "s3://b/v"}};
  std::string env = data_sources_env(d);
  CHECK(env == "train=s3://b/mlbox-data/train/x.json;val=s3://b/v");
  auto back = parse_data_sources_env(env);
  REQUIRE(back.size() == 2);
  CHECK(back[1].name == "val");
  CHECK(back[1].uri == "s3://b/v");
  CHECK_THROWS_AS(parse_data_sources_env("novalue"), Error);
}

TEST_CASE("fetch: every key is checked before the first byte is written") {
  fs::TempDir dir;
  MemoryStore store;
  store.objects["bkt/runs/j/a.txt"] = "model";
  store.objects["bkt/runs/j/zz/../../../evil"] = "outside";  // listed after a.txt
  auto dest = dir.path() / "out";
  CHECK_THROWS_AS(fetch_job_outputs(store, "s3://bkt/runs/j", dest, false), Error);
  CHECK_FALSE(std::filesystem::exists(dest / "a.txt"));
  CHECK(store.gets == 0);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "evil"));

  store.objects.erase("bkt/runs/j/zz/../../../evil");
  store.objects["bkt/runs/j/model/w.bin"] = "weights";
  // A link already in the folder on the way would carry the write outside it.
  std::filesystem::create_directories(dest);
  std::filesystem::create_directories(dir.path() / "elsewhere");
  std::filesystem::create_directory_symlink(dir.path() / "elsewhere", dest / "model");
  CHECK_THROWS_AS(fetch_job_outputs(store, "s3://bkt/runs/j", dest, false), Error);
  CHECK(store.gets == 0);
  CHECK(std::filesystem::is_empty(dir.path() / "elsewhere"));
}

TEST_CASE("fetch_job_metrics: only what a run card's metrics come from; none yet is no error") {
  fs::TempDir dir;
  MemoryStore store;
  auto dest = dir.path() / "out";
  CHECK(fetch_job_metrics(store, "s3://bkt/runs/j", dest).empty());
  store.objects["bkt/runs/j/metrics.jsonl"] = "{\"step\": 1}\n";
  store.objects["bkt/runs/j/summary.json"] = "{}";
  store.objects["bkt/runs/j/logs/events.out.tfevents.1.host"] = "tb";
  store.objects["bkt/runs/j/model/model.pt"] = std::string(4096, 'w');
  store.objects["bkt/runs/j/checkpoints/ckpt-1"] = "ckpt";
  store.objects["bkt/runs/j/outputs/metrics.jsonl.bak"] = "not this";
  auto files = fetch_job_metrics(store, "s3://bkt/runs/j", dest);
  CHECK(files.size() == 3);
  CHECK(std::filesystem::exists(dest / "metrics.jsonl"));
  CHECK(std::filesystem::exists(dest / "logs" / "events.out.tfevents.1.host"));
  CHECK_FALSE(std::filesystem::exists(dest / "model"));
  CHECK_FALSE(std::filesystem::exists(dest / "checkpoints"));
  CHECK_FALSE(std::filesystem::exists(dest / "outputs"));
  CHECK(is_metrics_file("tensorboard/train/events.out.tfevents.9.x"));
  CHECK_FALSE(is_metrics_file("model/history.json"));
}
