#include "trainer/metrics_publisher.h"

#include <system_error>

#include "metrics/metrics_jsonl.h"
#include "util/fs.h"

namespace mlbox::trainer {

namespace stdfs = std::filesystem;

MetricsPublisher::MetricsPublisher(stdfs::path output_dir, bool derive_from_history,
                                   RemoteSync* remote, FILE* log)
    : output_dir_(std::move(output_dir)),
      derive_(derive_from_history),
      remote_(remote),
      log_(log) {}

void MetricsPublisher::derive_metrics_jsonl() {
  const stdfs::path history = output_dir_ / "history.json";
  std::error_code ec;
  auto size = stdfs::file_size(history, ec);
  if (ec) return;  // no epoch has ended yet
  auto mtime = stdfs::last_write_time(history, ec);
  if (ec || (size == history_size_ && mtime == history_mtime_)) return;
  std::string text;
  if (!fs::read_file_if_exists(history, text)) return;
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::string lines = metrics::history_to_metrics_jsonl(j);
  if (lines.empty()) return;  // mid-write or not Keras-shaped: try again next round
  fs::write_file_atomic(output_dir_ / metrics::kMetricsFile, lines);
  history_size_ = size;
  history_mtime_ = mtime;
}

void MetricsPublisher::publish() {
  try {
    if (derive_) derive_metrics_jsonl();
    if (remote_ && remote_->active()) remote_->upload_metrics();
  } catch (const std::exception& e) {
    std::fprintf(log_,
                 "mlbox-trainer: warning: live metrics sync failed (retried next round): %s\n",
                 e.what());
    std::fflush(log_);
  }
}

}  // namespace mlbox::trainer
