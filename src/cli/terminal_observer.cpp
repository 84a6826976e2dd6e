#include "cli/terminal_observer.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

#include <fmt/format.h>

#include "cli/context.h"

namespace mlbox::cli {

namespace {

// Renders events on stderr: log lines always (filtered by verbosity), progress bars only
// on a TTY and not under --json/--quiet/--no-progress, redrawn at most every 50 ms.
class TerminalObserver : public Observer {
 public:
  explicit TerminalObserver(const Context& ctx) : ctx_(ctx) {}

  void on_event(const Event& event) override {
    if (const auto* log = std::get_if<LogEvent>(&event)) {
      render_log(*log);
    } else if (const auto* p = std::get_if<ProgressEvent>(&event)) {
      render_progress(*p);
    }
  }

 private:
  void render_log(const LogEvent& log) {
    const auto& o = ctx_.options;
    if (log.level == LogLevel::kDebug && o.verbose == 0) return;
    if (log.level == LogLevel::kInfo && o.quiet) return;
    clear_bar();
    bool color = ctx_.color_stderr();
    if (log.level == LogLevel::kWarning) {
      fmt::print(stderr, "{}warning:{} {}\n", color ? "\033[33m" : "", color ? "\033[0m" : "",
                 log.message);
    } else if (log.level == LogLevel::kDebug) {
      fmt::print(stderr, "{}{}{}\n", color ? "\033[2m" : "", log.message, color ? "\033[0m" : "");
    } else {
      fmt::print(stderr, "{}\n", log.message);
    }
  }

  // Units (layers, blobs) may progress at the same time: the bar line sums the running ones
  // ("label (+N)") and is redrawn at most every 50 ms; each unit's final state gets a line
  // of its own.
  void render_progress(const ProgressEvent& p) {
    if (!ctx_.progress_enabled()) return;
    auto now = std::chrono::steady_clock::now();
    auto [it, inserted] = active_.try_emplace(p.id, Unit{p.label, 0, 0, now});
    it->second.done = p.done;
    it->second.total = p.total;
    if (p.state != "running") {
      draw_line(p.label, p.done, p.total, it->second.start, now, p.state);
      fmt::print(stderr, "\n");
      bar_shown_ = false;
      active_.erase(it);
      last_draw_ = {};  // let the remaining units redraw at once
      std::fflush(stderr);
      return;
    }
    if (now - last_draw_ < std::chrono::milliseconds(50)) return;
    last_draw_ = now;
    uint64_t done = 0, total = 0;
    auto start = now;
    for (const auto& [id, u] : active_) {
      done += u.done;
      total += u.total;
      start = std::min(start, u.start);
    }
    std::string label = active_.size() == 1
                            ? it->second.label
                            : fmt::format("{} (+{})", it->second.label, active_.size() - 1);
    draw_line(label, done, total, start, now, "");
    bar_shown_ = true;
    std::fflush(stderr);
  }

  void draw_line(const std::string& label, uint64_t done, uint64_t total,
                 std::chrono::steady_clock::time_point start,
                 std::chrono::steady_clock::time_point now, const std::string& state) {
    std::string amount = total ? fmt::format("{}/{}", human(done), human(total)) : human(done);
    // Skipped, mounted and cached units moved no bytes: no rate for them.
    double secs = std::chrono::duration<double>(now - start).count();
    if (secs > 0.2 && done > 0 && (state.empty() || state == "done")) {
      amount +=
          fmt::format(" {}/s", human(static_cast<uint64_t>(static_cast<double>(done) / secs)));
    }
    int width = 24;
    int filled =
        total ? static_cast<int>(width * static_cast<double>(done) / static_cast<double>(total))
              : 0;
    std::string bar(static_cast<size_t>(std::min(filled, width)), '#');
    bar.resize(static_cast<size_t>(width), '.');
    fmt::print(stderr, "\r\033[K{:<28.28} [{}] {} {}", label, bar, amount, state);
  }

  void clear_bar() {
    if (bar_shown_) {
      fmt::print(stderr, "\r\033[K");
      bar_shown_ = false;
    }
  }

  static std::string human(uint64_t n) {
    const char* units[] = {"B", "KB", "MB", "GB", "TB"};
    double v = static_cast<double>(n);
    int u = 0;
    while (v >= 1000 && u < 4) {
      v /= 1000;
      ++u;
    }
    return u == 0 ? fmt::format("{}B", n) : fmt::format("{:.1f}{}", v, units[u]);
  }

  struct Unit {
    std::string label;
    uint64_t done = 0;
    uint64_t total = 0;
    std::chrono::steady_clock::time_point start;
  };
  const Context& ctx_;
  std::chrono::steady_clock::time_point last_draw_{};
  std::map<std::string, Unit> active_;  // running units by id
  bool bar_shown_ = false;
};

}  // namespace

std::unique_ptr<Observer> make_terminal_observer(const Context& ctx) {
  return std::make_unique<TerminalObserver>(ctx);
}

}  // namespace mlbox::cli
