#include "util/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.h"
#include "util/fs.h"

extern char** environ;

namespace mlbox {

namespace {

std::vector<std::string> build_env(const ProcessOptions& o) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    std::string key = kv.substr(0, kv.find('='));
    if (o.env.count(key)) continue;
    bool removed = false;
    for (const auto& u : o.unset_env) removed |= (u == key);
    if (!removed) env.push_back(std::move(kv));
  }
  for (const auto& [k, v] : o.env) env.push_back(k + "=" + v);
  return env;
}

}  // namespace

ProcessResult SystemCommandRunner::run(const std::vector<std::string>& argv,
                                       const ProcessOptions& options) {
  return run_process(argv, options);
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& o) {
  if (argv.empty()) throw Error(ErrorKind::kInternal, "run_process: empty command");
  std::filesystem::path exe = fs::which(argv[0]);
  if (exe.empty()) {
    throw Error(ErrorKind::kInternal, "cannot run '" + argv[0] + "': not found on PATH");
  }
  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  // Every end close-on-exec from the start (dup2 onto 0-2 clears it for the child's own):
  // a child another thread starts meanwhile must not inherit them, or this reader would
  // wait for an EOF that comes only when that unrelated child exits.
  auto open_pipe = [](bool wanted, int(&fds)[2]) {
    if (wanted && ::pipe2(fds, O_CLOEXEC) != 0) {
      throw Error(ErrorKind::kInternal, std::string("pipe failed: ") + std::strerror(errno));
    }
  };
  open_pipe(o.stdin_data.has_value(), in_pipe);
  open_pipe(o.capture_stdout, out_pipe);
  open_pipe(o.capture_stderr, err_pipe);

  std::vector<std::string> env = build_env(o);
  std::vector<char*> envp, args;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& a : argv_copy) args.push_back(a.data());
  args.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0)
    throw Error(ErrorKind::kInternal, std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    if (o.stdin_data) {
      ::dup2(in_pipe[0], 0);
    } else {
      int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      ::dup2(devnull, 0);
    }
    if (o.capture_stdout) ::dup2(out_pipe[1], 1);
    if (o.capture_stderr) ::dup2(err_pipe[1], 2);
    if (!o.cwd.empty() && ::chdir(o.cwd.c_str()) != 0) _exit(126);
    ::execve(exe.c_str(), args.data(), envp.data());
    _exit(127);
  }
  for (int fd : {in_pipe[0], out_pipe[1], err_pipe[1]}) {
    if (fd >= 0) ::close(fd);
  }

  ProcessResult result;
  size_t in_off = 0;
  int in_fd = in_pipe[1];
  if (in_fd >= 0) ::fcntl(in_fd, F_SETFL, O_NONBLOCK);
  if (in_fd >= 0 && o.stdin_data->empty()) {
    ::close(in_fd);
    in_fd = -1;
  }
  int out_fd = out_pipe[0], err_fd = err_pipe[0];
  auto deadline = std::chrono::steady_clock::now() + o.timeout;
  char buf[65536];
  std::string pending[2];  // partial lines of stdout, stderr for on_output_line
  auto emit_lines = [&](int which, std::string_view data, bool flush) {
    if (!o.on_output_line) return;
    std::string& p = pending[which];
    p.append(data);
    size_t start = 0;
    for (size_t nl; (nl = p.find('\n', start)) != std::string::npos; start = nl + 1) {
      o.on_output_line(which == 1, std::string_view(p).substr(start, nl - start));
    }
    p.erase(0, start);
    if (flush && !p.empty()) {
      o.on_output_line(which == 1, p);
      p.clear();
    }
  };
  // Ignore SIGPIPE while feeding a child that may exit early.
  struct sigaction ign {
  }, old{};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &old);
  while (in_fd >= 0 || out_fd >= 0 || err_fd >= 0) {
    pollfd fds[3];
    int n = 0;
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
    int wait_ms = -1;
    if (o.timeout.count() > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        ::kill(pid, SIGKILL);
        result.timed_out = true;
        break;
      }
      wait_ms = static_cast<int>(left.count());
    }
    int r = ::poll(fds, static_cast<nfds_t>(n), wait_ms);
    if (r < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == in_fd) {
        ssize_t w = ::write(in_fd, o.stdin_data->data() + in_off, o.stdin_data->size() - in_off);
        if (w > 0) in_off += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN) in_off = o.stdin_data->size();
        if (in_off >= o.stdin_data->size()) {
          ::close(in_fd);
          in_fd = -1;
        }
      } else {
        ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
        const int which = fds[i].fd == out_fd ? 0 : 1;
        if (got > 0) {
          (which == 0 ? result.out : result.err).append(buf, static_cast<size_t>(got));
          emit_lines(which, std::string_view(buf, static_cast<size_t>(got)), false);
        } else if (got == 0 || errno != EINTR) {
          emit_lines(which, {}, true);
          ::close(fds[i].fd);
          (fds[i].fd == out_fd ? out_fd : err_fd) = -1;
        }
      }
    }
  }
  ::sigaction(SIGPIPE, &old, nullptr);
  for (int fd : {in_fd, out_fd, err_fd}) {
    if (fd >= 0) ::close(fd);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status))
    result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.exit_code = 128 + WTERMSIG(status);
  if (result.exit_code == 127 && result.out.empty() && result.err.empty()) {
    throw Error(ErrorKind::kInternal, "cannot execute " + exe.string());
  }
  return result;
}

std::string quote_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty() && a.find_first_of(" \t\"'\\$`*?[]{}()<>|&;") == std::string::npos;
    if (plain) {
      out += a;
    } else {
      out += '\'';
      for (char c : a) out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    }
  }
  return out;
}

}  // namespace mlbox
