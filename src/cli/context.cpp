#include "cli/context.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>

#include <fmt/format.h>

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

  void render_progress(const ProgressEvent& p) {
    if (!ctx_.progress_enabled()) return;
    auto now = std::chrono::steady_clock::now();
    bool final_state = p.state != "running";
    if (!final_state && now - last_draw_ < std::chrono::milliseconds(50) && p.id == last_id_) {
      return;
    }
    last_draw_ = now;
    last_id_ = p.id;
    std::string amount =
        p.total ? fmt::format("{}/{}", human(p.done), human(p.total)) : human(p.done);
    // Rate since this unit's first event (skipped/mounted/cached units moved no bytes).
    auto [it, inserted] = started_.try_emplace(p.id, now);
    double secs = std::chrono::duration<double>(now - it->second).count();
    if (secs > 0.2 && p.done > 0 && (p.state == "running" || p.state == "done")) {
      amount += fmt::format(" {}/s", human(static_cast<uint64_t>(static_cast<double>(p.done) / secs)));
    }
    if (final_state) started_.erase(p.id);
    int width = 24;
    int filled =
        p.total
            ? static_cast<int>(width * static_cast<double>(p.done) / static_cast<double>(p.total))
            : 0;
    std::string bar(static_cast<size_t>(std::min(filled, width)), '#');
    bar.resize(static_cast<size_t>(width), '.');
    fmt::print(stderr, "\r\033[K{:<28.28} [{}] {} {}", p.label, bar, amount,
               final_state ? p.state : "");
    if (final_state) fmt::print(stderr, "\n");
    bar_shown_ = !final_state;
    std::fflush(stderr);
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

  const Context& ctx_;
  std::chrono::steady_clock::time_point last_draw_{};
  std::string last_id_;
  std::map<std::string, std::chrono::steady_clock::time_point> started_;
  bool bar_shown_ = false;
};

}  // namespace

Context::Context() = default;
Context::~Context() = default;

std::filesystem::path Context::project_dir() const {
  return std::filesystem::absolute(options.project_dir).lexically_normal();
}

Observer& Context::observer() {
  if (!observer_) observer_ = std::make_unique<TerminalObserver>(*this);
  return *observer_;
}

bool Context::color_stderr() const {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  const char* term = std::getenv("TERM");
  if (term && std::string(term) == "dumb") return false;
  return ::isatty(2);
}

bool Context::stdout_is_tty() const {
  return ::isatty(1);
}
bool Context::stdin_is_tty() const {
  return ::isatty(0);
}

bool Context::progress_enabled() const {
  return !options.json && !options.quiet && !options.no_progress && ::isatty(2);
}

void Context::print_json(const nlohmann::json& value) const {
  std::string text = value.dump(2);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void Context::print(const std::string& text) const {
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (text.empty() || text.back() != '\n') std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace mlbox::cli
