// The local engine's scheduler against an in-memory backend: at most `slots` trials at once,
// every trial started and ended, the median rule stopping a bad trial, a cancel request
// honoured, and the record saved with the metrics.
#include <doctest/doctest.h>

#include <map>

#include "jobs/job_store.h"
#include "sweep/sweep_launch.h"
#include "sweep/trial_ranking.h"
#include "sweep/trial_scheduler.h"
#include "util/fs.h"

using namespace mlbox;
using namespace mlbox::sweep;

namespace {

// Jobs that run for `steps` refreshes, then succeed; cancel ends them CANCELLED.
class StepBackend : public jobs::JobBackend {
 public:
  explicit StepBackend(jobs::JobStore& store) : store_(store) {}
  int steps = 3;
  int cancels = 0;
  size_t max_running = 0;
  std::map<std::string, int> refreshed;
  std::map<std::string, jobs::JobState> state;

  std::string name() const override { return "local"; }
  nlohmann::json plan_requests(const jobs::JobSpec&) override { return nlohmann::json::array(); }
  std::map<std::string, std::string> device;  // job id -> CUDA_VISIBLE_DEVICES it was given
  int shared_devices = 0;                     // submits given a device a running job holds
  jobs::SubmitResult submit(const jobs::JobSpec& spec) override {
    jobs::JobRecord r;
    r.id = "job-" + std::to_string(state.size() + 1);
    if (auto it = spec.env.find("CUDA_VISIBLE_DEVICES"); it != spec.env.end()) {
      for (const auto& [id, dev] : device)
        if (dev == it->second && !jobs::is_terminal(state[id])) ++shared_devices;
      device[r.id] = it->second;
    }
    r.name = spec.name;
    r.backend = "local";
    r.output_dir = spec.output_uri;
    r.state = jobs::JobState::kRunning;
    store_.insert(r);
    state[r.id] = jobs::JobState::kRunning;
    size_t running = 0;
    for (const auto& [id, s] : state) running += jobs::is_terminal(s) ? 0 : 1;
    max_running = std::max(max_running, running);
    return {r.id, "", {}};
  }
  jobs::RemoteStatus refresh(const jobs::JobRecord& job) override {
    jobs::RemoteStatus st;
    if (!jobs::is_terminal(state[job.id]) && ++refreshed[job.id] >= steps)
      state[job.id] = jobs::JobState::kSucceeded;
    st.state = state[job.id];
    st.attempts.push_back({1, "2026-12-03T10:00:00Z", "", std::nullopt, ""});
    if (jobs::is_terminal(st.state)) st.attempts.back().ended_at = "2026-12-03T10:00:05Z";
    return st;
  }
  std::string read_logs(const jobs::JobRecord&, const std::string& c,
                        std::vector<jobs::LogLine>&) override {
    return c;
  }
  void cancel(const jobs::JobRecord& job, const jobs::CancelRequest&) override {
    ++cancels;
    state[job.id] = jobs::JobState::kCancelled;
    store_.set_state(job.id, jobs::JobState::kCancelled);
  }
  std::vector<std::filesystem::path> fetch(const jobs::JobRecord&, const std::filesystem::path&,
                                           bool) override {
    return {};
  }
  double poll_interval_seconds() const override { return 0.001; }

 private:
  jobs::JobStore& store_;
};

SweepRecord planned(int trials, bool median) {
  manifest::SweepSpec s;
  s.metric = "val_accuracy";
  s.params = {manifest::parse_param_flag("lr=0.001,0.01,0.1,1,10,100")};
  s.max_trials = trials;
  s.early_stopping.median = median;
  s.early_stopping.min_trials = 3;
  s.early_stopping.after_steps = 1;
  return plan_sweep(s, "demo", "local", "/tmp/out", false);
}

}  // namespace

TEST_CASE("scheduler: bounded parallelism, every trial run, metrics and the best recorded") {
  fs::TempDir dir;
  jobs::JobStore jobs(dir.path() / "jobs.db");
  SweepStore sweeps(dir.path() / "sweeps");
  StepBackend backend(jobs);
  NullObserver quiet;
  TrialScheduler scheduler(sweeps, jobs, backend, quiet);
  TrialLaunch launch;
  launch.spec_for = [](const TrialRecord& t, int) {
    jobs::JobSpec s;
    s.name = t.id;
    s.output_uri = t.output;
    return s;
  };
  launch.read_metric = [](const TrialRecord& t, const jobs::JobRecord&) {
    TrialMetric m;
    double v = 0.5 + 0.1 * t.index;
    m.curve.points = {{1, v}};
    m.value = v;
    m.names_seen = {"val_accuracy"};
    return m;
  };
  SweepRecord done = scheduler.run(planned(5, false), launch, 2);
  CHECK(backend.max_running == 2);
  CHECK(backend.state.size() == 5);
  CHECK(done.state == "SUCCEEDED");
  for (const auto& t : done.trials) {
    CHECK(t.state == "SUCCEEDED");
    REQUIRE(t.metric);
  }
  REQUIRE(best_trial(done));
  CHECK(done.trials[*best_trial(done)].id == "trial-005");
  // Saved: another process reads the same.
  CHECK(sweeps.resolve(done.id).to_json() == done.to_json());
}

TEST_CASE("scheduler: the median rule stops a trial worse than the completed ones") {
  fs::TempDir dir;
  jobs::JobStore jobs(dir.path() / "jobs.db");
  SweepStore sweeps(dir.path() / "sweeps");
  StepBackend backend(jobs);
  backend.steps = 4;
  NullObserver quiet;
  TrialScheduler scheduler(sweeps, jobs, backend, quiet);
  TrialLaunch launch;
  launch.spec_for = [](const TrialRecord& t, int) {
    jobs::JobSpec s;
    s.name = t.id;
    return s;
  };
  // Trials 1-3 do well; trial 4 reports 0.1 from its first step.
  launch.read_metric = [](const TrialRecord& t, const jobs::JobRecord&) {
    TrialMetric m;
    double v = t.index == 4 ? 0.1 : 0.8 + 0.01 * t.index;
    m.curve.points = {{1, v}};
    m.value = v;
    return m;
  };
  SweepRecord done = scheduler.run(planned(4, true), launch, 3);
  CHECK(done.trials[3].state == "STOPPED");
  CHECK(done.trials[3].message.find("stopped early: best 0.1") != std::string::npos);
  CHECK(backend.cancels == 1);
  CHECK(done.trials[0].state == "SUCCEEDED");
  CHECK(done.state == "SUCCEEDED");
}

TEST_CASE("scheduler: a cancel request ends pending and running trials") {
  fs::TempDir dir;
  jobs::JobStore jobs(dir.path() / "jobs.db");
  SweepStore sweeps(dir.path() / "sweeps");
  StepBackend backend(jobs);
  backend.steps = 1000000;  // never ends by itself
  NullObserver quiet;
  TrialScheduler scheduler(sweeps, jobs, backend, quiet);
  SweepRecord r = planned(3, false);
  request_cancel(sweeps, r.id, "trial-003");
  TrialLaunch launch;
  int launched = 0;
  launch.spec_for = [&](const TrialRecord& t, int) {
    if (++launched == 2) request_cancel(sweeps, r.id, "");  // then everything
    jobs::JobSpec s;
    s.name = t.id;
    return s;
  };
  launch.read_metric = [](const TrialRecord&, const jobs::JobRecord&) { return TrialMetric{}; };
  SweepRecord done = scheduler.run(r, launch, 2);
  CHECK(done.state == "CANCELLED");
  for (const auto& t : done.trials) CHECK(t.state == "CANCELLED");
  CHECK(launched == 2);  // trial-003 never started
  CHECK(cancel_requests(sweeps, r.id) == std::vector<std::string>{"trial-003", "*"});
}

TEST_CASE("scheduler: a GPU serves one trial at a time (each running trial holds its own slot)") {
  fs::TempDir dir;
  jobs::JobStore jobs(dir.path() / "jobs.db");
  SweepStore sweeps(dir.path() / "sweeps");
  StepBackend backend(jobs);
  backend.steps = 2;
  NullObserver quiet;
  TrialScheduler scheduler(sweeps, jobs, backend, quiet);
  TrialLaunch launch;
  std::map<int, int> uses;  // slot -> trials started on it
  launch.spec_for = [&](const TrialRecord& t, int slot) {
    ++uses[slot];
    jobs::JobSpec s;
    s.name = t.id;
    s.env["CUDA_VISIBLE_DEVICES"] = std::to_string(slot);
    return s;
  };
  launch.read_metric = [](const TrialRecord& t, const jobs::JobRecord&) {
    TrialMetric m;
    m.curve.points = {{1, 0.1 * t.index}};
    m.value = 0.1 * t.index;
    return m;
  };
  // Two GPUs, no more slots than GPUs, six trials: slots are reused, never shared.
  int slots = local_slots(4, 8, 2, true);
  REQUIRE(slots == 2);
  SweepRecord done = scheduler.run(planned(6, false), launch, slots);
  CHECK(done.state == "SUCCEEDED");
  CHECK(backend.device.size() == 6);
  CHECK(backend.shared_devices == 0);
  CHECK(backend.max_running == 2);
  CHECK(uses.size() == 2);
  CHECK(uses[0] + uses[1] == 6);
  CHECK(uses[0] >= 1);
  CHECK(uses[1] >= 1);
}
