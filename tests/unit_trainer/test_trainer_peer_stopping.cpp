// A Batch array child stops itself by the median rule against its peers' metrics in the
// bucket: only peers whose summary.json says they completed count; a failed or stopped peer
// never does; the plan carries the rule to every child.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <map>

#include "sweep/trial_delivery.h"
#include "trainer/peer_stopping.h"
#include "util/fs.h"

using namespace mlbox;

namespace {

class MemoryStore : public jobs::ObjectStore {
 public:
  std::map<std::string, std::string>* objects;
  int* gets;
  MemoryStore(std::map<std::string, std::string>* o, int* g) : objects(o), gets(g) {}
  std::string scheme() const override { return "s3"; }
  std::optional<jobs::ObjectInfo> stat(const std::string& b, const std::string& k) override {
    auto it = objects->find(b + "/" + k);
    if (it == objects->end()) return std::nullopt;
    return jobs::ObjectInfo{k, it->second.size(), ""};
  }
  void put_file(const std::string&, const std::string&, const std::filesystem::path&) override {}
  void put_bytes(const std::string&, const std::string&, const std::string&,
                 const std::string&) override {}
  void get_file(const std::string& b, const std::string& k,
                const std::filesystem::path& dest) override {
    ++*gets;
    fs::write_file_atomic(dest, objects->at(b + "/" + k));
  }
  std::vector<jobs::ObjectInfo> list(const std::string&, const std::string&) override { return {}; }
};

std::string curve(std::initializer_list<double> values) {
  std::string out;
  int step = 1;
  for (double v : values) out += fmt::format("{{\"step\": {}, \"acc\": {}}}\n", step++, v);
  return out;
}

}  // namespace

TEST_CASE("a plan with the median rule: every child knows its peers and the goal") {
  auto plan = sweep::plan_json("sweep-1", "loss", {}, "s3://b/runs/sweep-1", {{}, {}, {}}, false,
                               {true, 2, 3});
  std::vector<std::string> command;
  auto a = sweep::assignment_from_env(
      {{"MLBOX_SWEEP_PLAN", "plan"}, {"AWS_BATCH_JOB_ARRAY_INDEX", "1"}},
      [&](const std::string&) { return plan.dump(); }, command);
  REQUIRE(a);
  CHECK_FALSE(a->maximize);
  CHECK(a->early_stopping.median);
  CHECK(a->early_stopping.min_trials == 2);
  CHECK(a->early_stopping.after_steps == 3);
  CHECK(a->peers == std::vector<std::string>{"trial-001", "trial-002", "trial-003"});
  CHECK(a->sweep_output == "s3://b/runs/sweep-1");
  CHECK(trainer::stops_itself(*a));
  // Without the rule, no child stops itself.
  plan = sweep::plan_json("sweep-1", "loss", {}, "s3://b/runs/sweep-1", {{}, {}}, false, {});
  a = sweep::assignment_from_env(
      {{"MLBOX_SWEEP_PLAN", "plan"}, {"AWS_BATCH_JOB_ARRAY_INDEX", "0"}},
      [&](const std::string&) { return plan.dump(); }, command);
  REQUIRE(a);
  CHECK_FALSE(trainer::stops_itself(*a));
}

TEST_CASE("peer status from its summary.json") {
  CHECK(trainer::peer_status_from_summary(R"({"outcome": "succeeded"})") == "completed");
  CHECK(trainer::peer_status_from_summary(R"({"outcome": "failed"})") == "ended");
  CHECK(trainer::peer_status_from_summary(R"({"outcome": "stopped"})") == "ended");
  CHECK(trainer::peer_status_from_summary(R"({"outcome": "preempted"})") == "");
  CHECK(trainer::peer_status_from_summary("") == "");
}

TEST_CASE("a child below the median of its completed peers stops; the others do not") {
  fs::TempDir tmp;
  std::map<std::string, std::string> objects;
  int gets = 0;
  sweep::TrialAssignment a;
  a.trial = "trial-004";
  a.metric = "acc";
  a.maximize = true;
  a.early_stopping = {true, 2, 2};
  a.peers = {"trial-001", "trial-002", "trial-003", "trial-004"};
  a.sweep_output = "s3://b/runs/sweep-1";
  trainer::PeerMedianStop stop(
      a, [&](const std::string&) { return std::make_unique<MemoryStore>(&objects, &gets); });
  auto out = tmp.path() / "out";
  fs::write_file_atomic(out / "metrics.jsonl", curve({0.1}));
  // One report: fewer than after_steps, the bucket is not asked.
  CHECK_FALSE(stop.check(out));
  CHECK(gets == 0);
  fs::write_file_atomic(out / "metrics.jsonl", curve({0.1, 0.2}));
  // Peers still running (metrics, no summary): not completed, no stop.
  objects["b/runs/sweep-1/trial-001/metrics.jsonl"] = curve({0.8, 0.9});
  objects["b/runs/sweep-1/trial-002/metrics.jsonl"] = curve({0.6, 0.7});
  CHECK_FALSE(stop.check(out));
  // One completed, one failed: fewer than min_trials completed.
  objects["b/runs/sweep-1/trial-001/summary.json"] = R"({"outcome": "succeeded"})";
  objects["b/runs/sweep-1/trial-003/summary.json"] = R"({"outcome": "failed"})";
  objects["b/runs/sweep-1/trial-003/metrics.jsonl"] = curve({0.99, 0.99});
  CHECK_FALSE(stop.check(out));
  // Two completed: the median of their running averages at step 2 is (0.85 + 0.65) / 2.
  objects["b/runs/sweep-1/trial-002/summary.json"] = R"({"outcome": "succeeded"})";
  auto why = stop.check(out);
  REQUIRE(why);
  CHECK(*why == "best 0.2 at step 2 < median 0.75 of 2 completed trials");
  // A completed peer's curve is read once.
  int before = gets;
  CHECK(stop.check(out));
  CHECK(gets == before);
  // A trial as good as the median keeps going.
  fs::write_file_atomic(out / "metrics.jsonl", curve({0.7, 0.8}));
  CHECK_FALSE(stop.check(out));
}
