#include "cli/context.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "cli/terminal_observer.h"

namespace mlbox::cli {

Context::Context() = default;
Context::~Context() = default;

std::filesystem::path Context::project_dir() const {
  return std::filesystem::absolute(options.project_dir).lexically_normal();
}

Observer& Context::observer() {
  if (!observer_) observer_ = make_terminal_observer(*this);
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
