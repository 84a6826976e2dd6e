// An in-memory jobs::JobBackend for unit tests: a scripted sequence of states (one per
// refresh), log lines per attempt served through an index cursor, and a record of calls.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "jobs/job_backend.h"

namespace mlbox::testing {

class FakeJobBackend : public jobs::JobBackend {
 public:
  std::vector<jobs::JobState> states;  // refresh i answers states[min(i, size-1)]
  std::vector<jobs::LogLine> lines;    // what the job has written so far
  // Lines that appear after refresh number `first` (1-based) has answered.
  std::vector<std::pair<int, jobs::LogLine>> later_lines;
  bool recorded = false;
  bool refuse_submit = false;
  int refreshes = 0;
  int cancels = 0;
  std::vector<jobs::JobSpec> submitted;

  std::string name() const override { return "fake"; }
  nlohmann::json plan_requests(const jobs::JobSpec& spec) override {
    return nlohmann::json::array(
        {{{"method", "POST"}, {"url", "fake://jobs"}, {"body", spec.to_json()}}});
  }
  jobs::SubmitResult submit(const jobs::JobSpec& spec) override {
    if (refuse_submit) throw std::runtime_error("refused");
    submitted.push_back(spec);
    return {"remote-1", "https://console/remote-1", {{"fake", true}}};
  }
  jobs::RemoteStatus refresh(const jobs::JobRecord&) override {
    ++refreshes;
    for (auto it = later_lines.begin(); it != later_lines.end();) {
      if (it->first <= refreshes) {
        lines.push_back(it->second);
        it = later_lines.erase(it);
      } else {
        ++it;
      }
    }
    jobs::RemoteStatus st;
    st.recorded = recorded;
    st.state = states.empty() ? jobs::JobState::kRunning
                              : states[std::min<size_t>(refreshes - 1, states.size() - 1)];
    st.attempts.push_back({1, "2026-11-22T18:00:00Z", "", std::nullopt, ""});
    if (jobs::is_terminal(st.state)) {
      st.attempts.back().ended_at = "2026-11-22T18:10:00Z";
      st.attempts.back().exit_code = 0;
      st.attempts.back().outcome = "succeeded";
      st.message = "done";
    }
    return st;
  }
  std::string read_logs(const jobs::JobRecord&, const std::string& cursor,
                        std::vector<jobs::LogLine>& out) override {
    size_t from = cursor.empty() ? 0 : std::stoul(cursor);
    for (size_t i = from; i < lines.size(); ++i) out.push_back(lines[i]);
    return std::to_string(lines.size());
  }
  void cancel(const jobs::JobRecord&, const jobs::CancelRequest& request) override {
    jobs::refuse_preempt(request);
    ++cancels;
  }
  std::vector<std::filesystem::path> fetch(const jobs::JobRecord&, const std::filesystem::path&,
                                           bool) override {
    return {};
  }
  double poll_interval_seconds() const override { return 0.001; }
};

}  // namespace mlbox::testing
