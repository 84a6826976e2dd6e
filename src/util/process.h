// Launch a child process (fork/exec, no shell), optionally feeding stdin and capturing
// stdout/stderr. Behind the CommandRunner interface so unit tests can fake it.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlbox {

struct ProcessOptions {
  std::filesystem::path cwd;               // empty: inherit
  std::map<std::string, std::string> env;  // set on top of the inherited environment
  std::vector<std::string> unset_env;      // removed from the inherited environment
  std::optional<std::string> stdin_data;   // nullopt: /dev/null
  bool capture_stdout = true;
  bool capture_stderr = true;            // false: inherit the parent's stderr
  std::chrono::milliseconds timeout{0};  // 0: none; on expiry the child gets SIGKILL
  // Called with each complete line (without its newline) of captured output as it arrives,
  // for tools whose progress should be shown while they run; the output is still collected.
  std::function<void(bool from_stderr, std::string_view line)> on_output_line;
};

struct ProcessResult {
  int exit_code = -1;  // exit status, or 128+signal
  bool timed_out = false;
  std::string out;
  std::string err;
  bool ok() const { return exit_code == 0 && !timed_out; }
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  virtual ProcessResult run(const std::vector<std::string>& argv,
                            const ProcessOptions& options) = 0;
};

// The real runner. Throws Error(kInternal) only when the program cannot be started at all
// (not found, not executable); a non-zero exit is reported in the result.
class SystemCommandRunner : public CommandRunner {
 public:
  ProcessResult run(const std::vector<std::string>& argv, const ProcessOptions& options) override;
};

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// Quote for display (not for a shell to execute).
std::string quote_command(const std::vector<std::string>& argv);

}  // namespace mlbox
