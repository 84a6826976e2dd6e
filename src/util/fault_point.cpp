#include "util/fault_point.h"

#ifndef MLBOX_TEST_HOOKS

namespace mlbox::fault {
void reached(std::string_view, uint64_t) {}
}  // namespace mlbox::fault

#else

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace mlbox::fault {

namespace {

struct PauseRule {
  std::string point;
  uint64_t bytes = 0;
  std::string file;
  bool active = false;
};

PauseRule parse_rule() {
  PauseRule r;
  const char* spec = std::getenv("MLBOX_TEST_PAUSE");
  const char* file = std::getenv("MLBOX_TEST_PAUSE_FILE");
  if (!spec || !*spec || !file || !*file) return r;
  std::string_view s(spec);
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return r;
  uint64_t n = 0;
  for (char c : s.substr(colon + 1)) {
    if (c < '0' || c > '9' || n > (UINT64_MAX - 9) / 10) return r;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  r.point = std::string(s.substr(0, colon));
  r.bytes = n;
  r.file = file;
  r.active = true;
  return r;
}

// Writes "<pid>\n" to `path` through a temp file and rename, so the waiting test never reads
// a half-written file. Only async-signal-safe calls: another thread may hold malloc's lock.
void announce(const std::string& path) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  std::string line = std::to_string(::getpid()) + "\n";
  [[maybe_unused]] auto n = ::write(fd, line.data(), line.size());
  ::close(fd);
  ::rename(tmp.c_str(), path.c_str());
}

}  // namespace

void reached(std::string_view point, uint64_t bytes) {
  static const PauseRule rule = parse_rule();
  static std::atomic<bool> fired{false};
  if (!rule.active || point != rule.point || bytes < rule.bytes) return;
  if (fired.exchange(true)) return;
  announce(rule.file);
  ::raise(SIGSTOP);  // every thread stops here; the test kills or resumes the process
}

}  // namespace mlbox::fault

#endif
