#include "sweep/sweep_record.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>

#include <fmt/format.h>

#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"
#include "util/utc_time.h"

namespace mlbox::sweep {

namespace stdfs = std::filesystem;

nlohmann::json TrialRecord::to_json() const {
  nlohmann::json j = {{"id", id},
                      {"index", index},
                      {"parameters", values},
                      {"job_id", job_id},
                      {"state", state},
                      {"metric", metric ? nlohmann::json(*metric) : nlohmann::json()},
                      {"metric_names", metric_names},
                      {"started_at", started_at},
                      {"ended_at", ended_at},
                      {"duration_seconds", duration_seconds()},
                      {"output", output},
                      {"message", message},
                      {"cost_usd", cost ? nlohmann::json(*cost) : nlohmann::json()}};
  return j;
}

TrialRecord TrialRecord::from_json(const nlohmann::json& j) {
  TrialRecord t;
  t.id = j.at("id").get<std::string>();
  t.index = j.value("index", 0);
  t.values = j.value("parameters", TrialValues{});
  t.job_id = j.value("job_id", "");
  t.state = j.value("state", "PENDING");
  if (j.contains("metric") && j["metric"].is_number()) t.metric = j["metric"].get<double>();
  t.metric_names = j.value("metric_names", std::set<std::string>{});
  t.started_at = j.value("started_at", "");
  t.ended_at = j.value("ended_at", "");
  t.output = j.value("output", "");
  t.message = j.value("message", "");
  if (j.contains("cost_usd") && j["cost_usd"].is_number()) t.cost = j["cost_usd"].get<double>();
  return t;
}

double TrialRecord::duration_seconds() const {
  if (started_at.empty()) return 0;
  int64_t start = parse_rfc3339(started_at);
  int64_t end =
      ended_at.empty() ? static_cast<int64_t>(std::time(nullptr)) : parse_rfc3339(ended_at);
  if (start < 0 || end < start) return 0;
  return static_cast<double>(end - start);
}

nlohmann::json SweepRecord::to_json() const {
  nlohmann::json ts = nlohmann::json::array();
  for (const auto& t : trials) ts.push_back(t.to_json());
  return {{"id", id},
          {"name", name},
          {"backend", backend},
          {"spec", spec.to_json()},
          {"output", output},
          {"remote_id", remote_id},
          {"state", state},
          {"created_at", created_at},
          {"updated_at", updated_at},
          {"details", details},
          {"trials", ts}};
}

SweepRecord SweepRecord::from_json(const nlohmann::json& j) {
  SweepRecord r;
  r.id = j.at("id").get<std::string>();
  r.name = j.value("name", "");
  r.backend = j.value("backend", "");
  r.spec = manifest::SweepSpec::from_json(j.at("spec"));
  r.output = j.value("output", "");
  r.remote_id = j.value("remote_id", "");
  r.state = j.value("state", "RUNNING");
  r.created_at = j.value("created_at", "");
  r.updated_at = j.value("updated_at", "");
  r.details = j.value("details", nlohmann::json::object());
  for (const auto& t : j.value("trials", nlohmann::json::array()))
    r.trials.push_back(TrialRecord::from_json(t));
  return r;
}

TrialRecord& SweepRecord::trial(const std::string& wanted) {
  std::vector<std::string> ids;
  for (auto& t : trials) {
    if (t.id == wanted || t.job_id == wanted) return t;
    ids.push_back(t.id);
  }
  auto near = did_you_mean(wanted, ids);
  throw Error(ErrorKind::kUsage, fmt::format("sweep {} has no trial '{}'", id, wanted),
              near ? "did you mean " + *near + "?" : "its trials: " + join(ids, ", "));
}

bool SweepRecord::done() const {
  return std::all_of(trials.begin(), trials.end(),
                     [](const TrialRecord& t) { return is_terminal_trial_state(t.state); });
}

bool is_terminal_trial_state(const std::string& state) {
  return state == "SUCCEEDED" || state == "FAILED" || state == "CANCELLED" || state == "STOPPED";
}

std::string overall_state(const SweepRecord& record) {
  if (!record.done()) return "RUNNING";
  bool any_success = false, all_cancelled = !record.trials.empty();
  for (const auto& t : record.trials) {
    any_success = any_success || t.state == "SUCCEEDED";
    all_cancelled = all_cancelled && t.state == "CANCELLED";
  }
  if (any_success) return "SUCCEEDED";
  return all_cancelled ? "CANCELLED" : "FAILED";
}

std::string new_sweep_id() {
  std::string date = format_utc(static_cast<int64_t>(std::time(nullptr)), "%Y%m%d");
  std::random_device rd;
  return fmt::format("sweep-{}-{:06x}", date, rd() & 0xffffffu);
}

SweepStore::SweepStore(stdfs::path dir) : dir_(std::move(dir)) {}

stdfs::path SweepStore::default_dir() {
  return fs::mlbox_home() / "sweeps";
}

void SweepStore::save(SweepRecord& record) {
  record.updated_at = utc_now_rfc3339();
  if (record.created_at.empty()) record.created_at = record.updated_at;
  stdfs::create_directories(dir_);
  fs::write_file_atomic(dir_ / (record.id + ".json"), record.to_json().dump(2) + "\n");
}

std::optional<SweepRecord> SweepStore::find(const std::string& id) const {
  std::string text;
  if (id.find('/') != std::string::npos || !fs::read_file_if_exists(dir_ / (id + ".json"), text))
    return std::nullopt;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    throw Error(ErrorKind::kInternal,
                "the sweep record " + (dir_ / (id + ".json")).string() + " is not JSON");
  }
  return SweepRecord::from_json(j);
}

SweepRecord SweepStore::resolve(const std::string& id_or_prefix) const {
  if (auto r = find(id_or_prefix)) return *r;
  std::vector<SweepRecord> matches;
  std::vector<std::string> ids;
  for (auto& r : list()) {
    ids.push_back(r.id);
    if (starts_with(r.id, id_or_prefix)) matches.push_back(std::move(r));
  }
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) {
    auto near = did_you_mean(id_or_prefix, ids);
    throw Error(ErrorKind::kUsage, "no sweep '" + id_or_prefix + "'",
                near ? "did you mean " + *near + "?" : "list them: mlbox jobs");
  }
  std::vector<std::string> names;
  for (const auto& m : matches) names.push_back(m.id);
  throw Error(ErrorKind::kUsage,
              "'" + id_or_prefix + "' names several sweeps: " + join(names, ", "),
              "give more of the id");
}

std::vector<SweepRecord> SweepStore::list() const {
  std::vector<SweepRecord> out;
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(dir_, ec)) {
    if (e.path().extension() != ".json") continue;
    if (auto r = find(e.path().stem().string())) out.push_back(std::move(*r));
  }
  std::sort(out.begin(), out.end(), [](const SweepRecord& a, const SweepRecord& b) {
    return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
  });
  return out;
}

}  // namespace mlbox::sweep
