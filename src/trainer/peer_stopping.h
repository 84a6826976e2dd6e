// Early stopping that needs no one watching: each child of a Batch array sweep judges itself.
// At each live metrics publish, the trainer compares its trial's curve (its own metrics.jsonl)
// with the curves of the peers that completed (their summary.json in the bucket says their
// last attempt succeeded; their metrics.jsonl / history.json beside it) by the median rule
// (sweep/trial_metric.h). A trial worse than the median stops itself: SIGTERM to the
// training, the grace period, exit 0, summary.json outcome "stopped" with the reason, which
// `mlbox sweep status` reads as STOPPED. It keeps working when the laptop that submitted the
// sweep is closed, and every engine that runs mlbox-trainer with a plan gets it.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "sweep/trial_delivery.h"
#include "sweep/trial_metric.h"
#include "trainer/remote_sync.h"

namespace mlbox::trainer {

// What a peer's summary.json says of it: "completed" (its last attempt succeeded), "ended"
// (failed or stopped: never completes), "" (running, preempted, or no summary yet).
std::string peer_status_from_summary(const std::string& summary_json);

class PeerMedianStop {
 public:
  // `a` must carry the plan's peers and sweep output (TrialAssignment::peers non-empty).
  PeerMedianStop(sweep::TrialAssignment a, RemoteSync::StoreFactory stores);

  // Why this trial stops now, or nothing. Network errors are thrown (the caller reports them
  // and tries again at the next publish).
  std::optional<std::string> check(const std::filesystem::path& output_dir);

 private:
  std::string read(const std::string& uri);  // an object's text; empty when absent
  sweep::TrialAssignment a_;
  RemoteSync::StoreFactory stores_;
  std::unique_ptr<jobs::ObjectStore> store_;
  std::map<std::string, sweep::MetricCurve> completed_;  // peers that completed: final curves
  std::set<std::string> ended_;                          // peers that failed or stopped
};

// Whether `a` asks its trainer to stop itself (a plan with the median rule and peers).
bool stops_itself(const sweep::TrialAssignment& a);

}  // namespace mlbox::trainer
