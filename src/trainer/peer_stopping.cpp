#include "trainer/peer_stopping.h"

#include <unistd.h>

#include <fmt/format.h>

#include "jobs/object_store.h"
#include "util/fs.h"

namespace mlbox::trainer {

namespace stdfs = std::filesystem;

std::string peer_status_from_summary(const std::string& summary_json) {
  auto j = nlohmann::json::parse(summary_json, nullptr, false);
  if (!j.is_object()) return "";
  std::string outcome = j.value("outcome", "");
  if (outcome == "succeeded") return "completed";
  if (outcome == "failed" || outcome == "stopped") return "ended";
  return "";  // preempted: a retry runs it again
}

bool stops_itself(const sweep::TrialAssignment& a) {
  return a.early_stopping.median && !a.peers.empty() && !a.sweep_output.empty() &&
         !a.metric.empty();
}

PeerMedianStop::PeerMedianStop(sweep::TrialAssignment a, RemoteSync::StoreFactory stores)
    : a_(std::move(a)), stores_(std::move(stores)) {}

std::string PeerMedianStop::read(const std::string& uri) {
  jobs::BucketUri b = jobs::parse_bucket_uri(uri);
  if (!store_) store_ = stores_(b.scheme);
  if (!store_->stat(b.bucket, b.key)) return {};
  stdfs::path tmp =
      stdfs::temp_directory_path() / fmt::format("mlbox-peer-{}-{}", static_cast<long>(::getpid()),
                                                 stdfs::path(b.key).filename().string());
  store_->get_file(b.bucket, b.key, tmp);
  std::string text = fs::read_file(tmp);
  std::error_code ec;
  stdfs::remove(tmp, ec);
  return text;
}

std::optional<std::string> PeerMedianStop::check(const stdfs::path& output_dir) {
  // Our own curve first: without enough reports there is nothing to ask the bucket.
  sweep::TrialMetric own = sweep::read_trial_metric(output_dir, a_.metric);
  if (static_cast<int>(own.curve.points.size()) < a_.early_stopping.after_steps ||
      own.curve.points.empty()) {
    return std::nullopt;
  }
  for (const auto& peer : a_.peers) {
    if (peer == a_.trial || completed_.count(peer) || ended_.count(peer)) continue;
    const std::string base = a_.sweep_output + "/" + peer;
    std::string status = peer_status_from_summary(read(base + "/summary.json"));
    if (status == "ended") ended_.insert(peer);
    if (status != "completed") continue;
    completed_[peer] = sweep::metric_from_texts(read(base + "/metrics.jsonl"),
                                                read(base + "/history.json"), a_.metric)
                           .curve;
  }
  std::vector<sweep::MetricCurve> curves;
  for (const auto& [_, c] : completed_) curves.push_back(c);
  return sweep::median_rule_stops(own.curve, curves, a_.maximize, a_.early_stopping);
}

}  // namespace mlbox::trainer
