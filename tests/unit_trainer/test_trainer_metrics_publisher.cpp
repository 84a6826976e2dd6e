#include <doctest/doctest.h>

#include <map>

#include "metrics/metrics_jsonl.h"
#include "trainer/metrics_publisher.h"
#include "util/fs.h"

using namespace mlbox;
using namespace mlbox::trainer;

namespace {

class MemoryStore : public jobs::ObjectStore {
 public:
  std::map<std::string, std::string>* objects;
  int* puts;
  MemoryStore(std::map<std::string, std::string>* o, int* p) : objects(o), puts(p) {}
  std::string scheme() const override { return "s3"; }
  std::optional<jobs::ObjectInfo> stat(const std::string&, const std::string&) override {
    return std::nullopt;
  }
  void put_file(const std::string& b, const std::string& k,
                const std::filesystem::path& f) override {
    ++*puts;
    (*objects)[b + "/" + k] = fs::read_file(f);
  }
  void put_bytes(const std::string& b, const std::string& k, const std::string& bytes,
                 const std::string&) override {
    ++*puts;
    (*objects)[b + "/" + k] = bytes;
  }
  void get_file(const std::string&, const std::string&, const std::filesystem::path&) override {}
  std::vector<jobs::ObjectInfo> list(const std::string&, const std::string&) override { return {}; }
};

}  // namespace

TEST_CASE("live metrics: TensorBoard files and metrics.jsonl go up while the job runs") {
  fs::TempDir tmp;
  auto root = tmp.path();
  std::vector<RemoteDir> remotes = {{"tensorboard", "s3://b/run/tb", (root / "tb").string()},
                                    {"output", "s3://b/run", (root / "out").string()},
                                    {"model", "s3://b/run/model", (root / "model").string()}};
  std::map<std::string, std::string> objects;
  int puts = 0;
  RemoteSync remote(
      remotes, [&](const std::string&) { return std::make_unique<MemoryStore>(&objects, &puts); },
      stderr);
  fs::write_file_atomic(root / "tb" / "events.out.tfevents.1", "e1");
  fs::write_file_atomic(root / "out" / "metrics.jsonl", "{\"step\":1,\"loss\":1}\n");
  fs::write_file_atomic(root / "out" / "big-user-file.bin", "not live");
  fs::write_file_atomic(root / "model" / "model.pt", "weights");
  MetricsPublisher publisher(root / "out", false, &remote, stderr);
  publisher.publish();
  CHECK(objects.at("b/run/tb/events.out.tfevents.1") == "e1");
  CHECK(objects.at("b/run/metrics.jsonl") == "{\"step\":1,\"loss\":1}\n");
  CHECK_FALSE(objects.count("b/run/big-user-file.bin"));  // moves at the end
  CHECK_FALSE(objects.count("b/run/model/model.pt"));
  CHECK(puts == 2);

  publisher.publish();  // nothing changed: nothing moves
  CHECK(puts == 2);

  fs::write_file_atomic(root / "out" / "metrics.jsonl",
                        "{\"step\":1,\"loss\":1}\n{\"step\":2,\"loss\":0.5}\n");
  publisher.publish();  // a grown file goes up whole (buckets cannot append)
  CHECK(puts == 3);
  CHECK(objects.at("b/run/metrics.jsonl").find("\"step\":2") != std::string::npos);
}

TEST_CASE("native mode: metrics.jsonl is derived from history.json when it changes") {
  fs::TempDir tmp;
  auto out = tmp.path();
  MetricsPublisher publisher(out, true, nullptr, stderr);
  publisher.publish();  // no epoch yet: no file
  CHECK_FALSE(std::filesystem::exists(out / "metrics.jsonl"));
  fs::write_file_atomic(out / "history.json",
                        R"({"history": {"loss": [2.0]}, "epoch": [0], "params": {}})");
  publisher.publish();
  auto p = metrics::parse_metrics_jsonl(fs::read_file(out / "metrics.jsonl"), "m");
  REQUIRE(p.lines.size() == 1);
  CHECK(p.lines[0].values.at("loss") == doctest::Approx(2.0));
  fs::write_file_atomic(out / "history.json",
                        R"({"history": {"loss": [2.0, 1.0]}, "epoch": [0, 1], "params": {}})");
  publisher.publish();
  p = metrics::parse_metrics_jsonl(fs::read_file(out / "metrics.jsonl"), "m");
  REQUIRE(p.lines.size() == 2);
  CHECK(*p.lines[1].epoch == 1);
}
