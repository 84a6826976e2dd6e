#include "report/run_card.h"

#include <algorithm>
#include <cmath>
#include <system_error>

#include "image/image_config.h"
#include "image/oci_layout.h"
#include "image/oci_manifest.h"
#include "jobs/job_spec.h"
#include "jobs/job_summary.h"
#include "jobs/spec_builder.h"
#include "metrics/event_file_reader.h"
#include "metrics/metrics_jsonl.h"
#include "util/fs.h"
#include "util/redact.h"
#include "util/utc_time.h"

namespace mlbox::report {

namespace stdfs = std::filesystem;

namespace {

nlohmann::json read_json(const stdfs::path& path, RunCard& card) {
  std::string text;
  if (!fs::read_file_if_exists(path, text)) return nullptr;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    card.problems.push_back(path.string() + ": not valid JSON, ignored");
    return nullptr;
  }
  return j;
}

// Lock digest, base image, command and environment from the image config, when the image is
// in a local OCI store (local jobs: "oci:<store>:<tag>").
void read_image(RunCard& card, std::vector<std::string>& env) {
  if (card.image_ref.rfind("oci:", 0) != 0 || card.image_digest.empty()) return;
  std::string rest = card.image_ref.substr(4);
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) return;
  try {
    image::OciLayout store(rest.substr(0, colon), image::OciLayout::Mode::kReadOnly);
    auto manifest = image::parse_manifest(store.read_blob(card.image_digest), card.image_digest);
    auto config = image::parse_image_config(store.read_blob(manifest.config), "image config");
    const auto& labels = config.config.labels;
    if (auto it = labels.find("io.mlbox.lock.digest"); it != labels.end()) {
      card.lock_digest = it->second;
    }
    if (auto it = labels.find("org.opencontainers.image.base.name"); it != labels.end()) {
      card.base_image = it->second;
    }
    if (card.command.empty() && config.config.cmd) card.command = *config.config.cmd;
    env = config.config.env;
  } catch (const std::exception& e) {
    card.problems.push_back("image " + card.image_digest + ": " + e.what());
  }
}

void add_env(RunCard& card, const std::map<std::string, std::string>& env) {
  for (const auto& [k, v] : env) {
    auto it = std::find_if(card.env.begin(), card.env.end(),
                           [&k = k](const auto& kv) { return kv.first == k; });
    std::string shown = redact_env_value(k, v);
    if (it == card.env.end()) {
      card.env.emplace_back(k, shown);
    } else {
      it->second = shown;
    }
  }
}

void read_attempts(RunCard& card, const jobs::JobRecord& job, const nlohmann::json& summary) {
  for (const auto& a : job.attempts) {
    AttemptRow row;
    row.number = a.number;
    row.started_at = a.started_at;
    row.ended_at = a.ended_at;
    row.outcome = a.outcome;
    row.exit_code = a.exit_code;
    card.attempts.push_back(row);
  }
  // The trainer's own account (summary.json), kept across retries: signals, grace kills.
  if (!summary.is_object() || !summary.contains("attempts") || !summary["attempts"].is_array()) {
    return;
  }
  for (const auto& a : summary["attempts"]) {
    if (!a.is_object()) continue;
    int n = a.value("attempt", 0);
    auto it = std::find_if(card.attempts.begin(), card.attempts.end(),
                           [n](const AttemptRow& r) { return r.number == n; });
    if (it == card.attempts.end()) {
      card.attempts.push_back({});
      it = card.attempts.end() - 1;
      it->number = n;
    }
    if (it->outcome.empty()) it->outcome = a.value("outcome", "");
    if (!it->exit_code && a.contains("exit_code") && a["exit_code"].is_number_integer()) {
      it->exit_code = a["exit_code"].get<int>();
    }
    it->child_signal = a.value("child_signal", 0);
    it->killed_after_grace = a.value("killed_after_grace", false);
    if (a.contains("duration_s") && a["duration_s"].is_number()) {
      it->duration_s = a["duration_s"].get<double>();
    }
    // A job the record knows no attempts of (a cloud sweep's trial): the trainer's times.
    if (it->ended_at.empty()) {
      int64_t end = parse_rfc3339(a.value("finished_at", ""));
      if (end >= 0) {
        it->ended_at = format_rfc3339(end);
        if (it->started_at.empty() && it->duration_s >= 0) {
          it->started_at = format_rfc3339(end - static_cast<int64_t>(std::llround(it->duration_s)));
        }
      }
    }
  }
  std::sort(card.attempts.begin(), card.attempts.end(),
            [](const AttemptRow& a, const AttemptRow& b) { return a.number < b.number; });
}

void read_outputs(RunCard& card, const stdfs::path& outputs) {
  std::error_code ec;
  for (auto it = stdfs::recursive_directory_iterator(outputs, ec);
       !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    card.outputs.push_back(
        {it->path().lexically_relative(outputs).generic_string(), it->file_size(ec)});
  }
  std::sort(card.outputs.begin(), card.outputs.end(),
            [](const OutputFile& a, const OutputFile& b) { return a.path < b.path; });
}

void sort_points(RunCard& card) {
  for (auto& [name, points] : card.metrics) {
    // The last value written for an x wins (a resumed run replays the interrupted epoch).
    std::stable_sort(points.begin(), points.end(),
                     [](const MetricPoint& a, const MetricPoint& b) { return a.x < b.x; });
    std::vector<MetricPoint> unique;
    for (const auto& p : points) {
      if (!unique.empty() && unique.back().x == p.x) {
        unique.back() = p;
      } else {
        unique.push_back(p);
      }
    }
    points = std::move(unique);
  }
}

void read_metrics(RunCard& card, const stdfs::path& outputs, const nlohmann::json& history) {
  std::string text;
  if (fs::read_file_if_exists(outputs / metrics::kMetricsFile, text)) {
    auto parsed = metrics::parse_metrics_jsonl(text, (outputs / metrics::kMetricsFile).string());
    card.problems.insert(card.problems.end(), parsed.problems.begin(), parsed.problems.end());
    bool all_steps = std::all_of(parsed.lines.begin(), parsed.lines.end(),
                                 [](const auto& l) { return l.step.has_value(); });
    card.x_axis = all_steps ? "step" : "epoch";
    for (const auto& l : parsed.lines) {
      auto x = all_steps ? l.step : l.epoch;
      if (!x) continue;
      for (const auto& [k, v] : l.values) {
        card.metrics[k].push_back({static_cast<double>(*x), v});
      }
    }
    if (!card.metrics.empty()) card.metrics_source = metrics::kMetricsFile;
  }
  if (card.metrics.empty() && history.is_object()) {
    auto lines = metrics::parse_metrics_jsonl(metrics::history_to_metrics_jsonl(history), "");
    card.x_axis = "epoch";
    for (const auto& l : lines.lines) {
      for (const auto& [k, v] : l.values) {
        card.metrics[k].push_back({static_cast<double>(*l.epoch), v});
      }
    }
    if (!card.metrics.empty()) card.metrics_source = "history.json";
  }
  // TensorBoard event files: every record's CRC is checked; scalars add the tags not already
  // known (native mode writes "epoch_<metric>" beside history.json).
  std::vector<stdfs::path> event_files;
  std::error_code ec;
  for (auto it = stdfs::recursive_directory_iterator(outputs, ec);
       !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) &&
        it->path().filename().string().rfind("events.out.tfevents.", 0) == 0) {
      event_files.push_back(it->path());
    }
  }
  std::sort(event_files.begin(), event_files.end());
  bool had = !card.metrics.empty();
  std::map<std::string, std::vector<MetricPoint>> from_tb;
  for (const auto& f : event_files) {
    auto scalars = metrics::read_event_file(f);
    card.problems.insert(card.problems.end(), scalars.problems.begin(), scalars.problems.end());
    for (const auto& s : scalars.scalars) {
      std::string name = s.tag.rfind("epoch_", 0) == 0 ? s.tag.substr(6) : s.tag;
      if (card.metrics.count(name)) continue;
      from_tb[name].push_back({static_cast<double>(s.step), s.value});
    }
  }
  for (auto& [k, v] : from_tb) card.metrics[k] = std::move(v);
  if (!had && !card.metrics.empty()) card.metrics_source = "TensorBoard";
  sort_points(card);
}

}  // namespace

std::string chart_of(const std::string& metric) {
  return metric.rfind("val_", 0) == 0 && metric.size() > 4 ? metric.substr(4) : metric;
}

RunCard load_run_card(const jobs::JobRecord& job, const stdfs::path& outputs, int64_t now) {
  RunCard card;
  card.job_id = job.id;
  card.name = job.name;
  card.backend = job.backend;
  card.state = jobs::to_string(job.state);
  card.created_at = job.created_at;
  card.image_ref = job.image_ref;
  card.image_digest = job.image_digest;
  card.machine = jobs::machine_of(job);
  card.duration_s = jobs::duration_seconds(job, now);
  std::vector<std::string> image_env;
  std::map<std::string, std::string> env;
  if (job.details.contains("spec")) {
    auto spec = jobs::JobSpec::from_json(job.details["spec"]);
    card.command = spec.command;
    env = spec.env;
    card.price_note = spec.spot ? "spot price" : "on-demand price";
    // Billed time: each attempt's own run time (the wait between attempts is not billed).
    int64_t billed = 0;
    for (const auto& a : job.attempts) {
      int64_t s = parse_rfc3339(a.started_at);
      int64_t e =
          a.ended_at.empty() ? (jobs::is_terminal(job.state) ? s : now) : parse_rfc3339(a.ended_at);
      if (s >= 0 && e > s) billed += e - s;
    }
    card.billed_s = billed;
    card.cost_usd = jobs::estimated_cost(spec, job.backend, static_cast<double>(billed) / 3600.0);
  } else {
    card.price_note = "ran on this machine: not billed";
  }
  read_image(card, image_env);
  // What the record kept at submit time: all there is when the image store is not here.
  if (job.details.is_object()) {
    if (card.lock_digest.empty()) card.lock_digest = job.details.value("lock_digest", "");
    if (card.base_image.empty()) card.base_image = job.details.value("base_image", "");
  }
  std::map<std::string, std::string> from_image;
  for (const auto& kv : image_env) {
    auto eq = kv.find('=');
    if (eq != std::string::npos) from_image[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  add_env(card, from_image);
  add_env(card, env);  // the job's own values override the image's
  auto summary = read_json(outputs / "summary.json", card);
  auto history = read_json(outputs / "history.json", card);
  if (summary.is_object()) {
    card.device = summary.value("device", "");
    if (card.command.empty() && summary.contains("command") && summary["command"].is_array()) {
      for (const auto& c : summary["command"]) {
        if (c.is_string()) card.command.push_back(c.get<std::string>());
      }
    }
  }
  if (history.is_object() && history.contains("params")) card.native_params = history["params"];
  read_attempts(card, job, summary);
  read_outputs(card, outputs);
  read_metrics(card, outputs, history);
  return card;
}

}  // namespace mlbox::report
