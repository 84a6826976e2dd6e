// The observer through which library code reports progress, log lines and warnings.
// Nothing below cli/ prints: the CLI implements Observer and renders events as progress
// bars, plain lines or nothing (under --json / --quiet).
#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace mlbox {

enum class LogLevel { kDebug, kInfo, kWarning };

struct LogEvent {
  LogLevel level = LogLevel::kInfo;
  std::string message;
};

// One unit of long-running work (a layer, a blob upload). total 0 = unknown.
struct ProgressEvent {
  std::string id;     // stable key for the unit ("sha256:ab12..." or "deps layer")
  std::string label;  // what to show
  uint64_t done = 0;
  uint64_t total = 0;
  std::string state;  // "running", "done", "skipped", "mounted", "cached", "failed"
};

using Event = std::variant<LogEvent, ProgressEvent>;

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_event(const Event& event) = 0;

  void debug(std::string msg) { on_event(LogEvent{LogLevel::kDebug, std::move(msg)}); }
  void info(std::string msg) { on_event(LogEvent{LogLevel::kInfo, std::move(msg)}); }
  void warn(std::string msg) { on_event(LogEvent{LogLevel::kWarning, std::move(msg)}); }
};

// Drops everything; for callers (and tests) that do not care.
class NullObserver : public Observer {
 public:
  void on_event(const Event&) override {}
};

}  // namespace mlbox
