#include "trainer/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>

#include "trainer/dir_sync.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/process.h"
#include "util/utc_time.h"

namespace mlbox::trainer {

namespace stdfs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string utc_timestamp_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  char millis[32];
  std::snprintf(millis, sizeof millis, ".%03ldZ", ts.tv_nsec / 1000000);
  return format_utc(static_cast<int64_t>(ts.tv_sec), "%Y-%m-%dT%H:%M:%S") + millis;
}

nlohmann::json SupervisorResult::to_json() const {
  nlohmann::json j = {{"exit_code", exit_code},
                      {"outcome", outcome},
                      {"child_exit_code", child_exit_code},
                      {"child_signal", child_signal},
                      {"killed_after_grace", killed_after_grace},
                      {"duration_s", duration_s}};
  if (!failure_reason.empty()) j["failure_reason"] = failure_reason;
  return j;
}

namespace {

// The signals the supervisor takes over; all but SIGCHLD are forwarded to the child's group.
const int kHandled[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD};

Error sys_error(const std::string& what) {
  return Error(ErrorKind::kInternal, "supervisor: " + what + ": " + std::strerror(errno));
}

// Splits a stream into lines and writes each with a timestamp prefix.
class LineStream {
 public:
  LineStream(FILE* sink, bool timestamps, std::deque<std::string>* tail)
      : sink_(sink), timestamps_(timestamps), tail_(tail) {}
  void feed(const char* data, size_t n) {
    buf_.append(data, n);
    size_t start = 0;
    for (size_t nl; (nl = buf_.find('\n', start)) != std::string::npos; start = nl + 1) {
      emit(std::string_view(buf_).substr(start, nl - start));
    }
    buf_.erase(0, start);
  }
  void finish() {
    if (!buf_.empty()) emit(buf_);
    buf_.clear();
  }

 private:
  void emit(std::string_view line) {
    if (timestamps_) {
      std::string ts = utc_timestamp_now();
      std::fprintf(sink_, "%s %.*s\n", ts.c_str(), static_cast<int>(line.size()), line.data());
    } else {
      std::fprintf(sink_, "%.*s\n", static_cast<int>(line.size()), line.data());
    }
    std::fflush(sink_);
    if (tail_) {
      tail_->emplace_back(line);
      if (tail_->size() > 20) tail_->pop_front();
    }
  }
  FILE* sink_;
  bool timestamps_;
  std::deque<std::string>* tail_;
  std::string buf_;
};

void note(const SupervisorOptions& o, const std::string& text) {
  std::fprintf(o.err, "%s mlbox-trainer: %s\n", utc_timestamp_now().c_str(), text.c_str());
  std::fflush(o.err);
}

bool needs_sync(const SupervisorOptions& o) {
  if (o.checkpoint_dir.empty() || o.staging_checkpoint_dir.empty()) return false;
  std::error_code ec;
  if (stdfs::equivalent(o.checkpoint_dir, o.staging_checkpoint_dir, ec)) return false;
  return stdfs::path(o.checkpoint_dir).lexically_normal() !=
         stdfs::path(o.staging_checkpoint_dir).lexically_normal();
}

void sync_local_checkpoints(const SupervisorOptions& o, const char* why) {
  if (!needs_sync(o)) return;
  try {
    SyncStats s = sync_directory(o.staging_checkpoint_dir, o.checkpoint_dir);
    if (s.copied || s.removed || s.skipped_busy) {
      note(o, std::string("checkpoint sync (") + why + "): " + std::to_string(s.copied) +
                  " copied (" + std::to_string(s.bytes) + " bytes), " + std::to_string(s.removed) +
                  " removed, " + std::to_string(s.skipped_busy) + " busy -> " + o.checkpoint_dir);
    }
  } catch (const std::exception& e) {
    note(o, std::string("checkpoint sync failed: ") + e.what());
  }
}

// The local mirror first, then (when the checkpoint dir mirrors a bucket) the upload.
void sync_checkpoints(const SupervisorOptions& o, const char* why) {
  sync_local_checkpoints(o, why);
  if (!o.after_sync) return;
  try {
    o.after_sync(why);
  } catch (const std::exception& e) {
    note(o, std::string("checkpoint upload failed: ") + e.what());
  }
}

// summary.json keeps one entry per attempt, so a retried job shows its whole history.
void write_summary(const SupervisorOptions& o, const SupervisorResult& r) {
  if (o.output_dir.empty()) return;
  stdfs::path path = stdfs::path(o.output_dir) / "summary.json";
  nlohmann::json attempts = nlohmann::json::array();
  std::string old;
  if (fs::read_file_if_exists(path, old)) {
    auto prev = nlohmann::json::parse(old, nullptr, false);
    if (prev.is_object() && prev.contains("attempts") && prev["attempts"].is_array()) {
      for (const auto& a : prev["attempts"]) {
        if (a.value("attempt", 0) != o.attempt) attempts.push_back(a);
      }
    }
  }
  nlohmann::json current = r.to_json();
  current["attempt"] = o.attempt;
  current["finished_at"] = utc_timestamp_now();
  attempts.push_back(current);
  nlohmann::json summary = r.to_json();
  summary["job_id"] = o.job_id;
  summary["attempt"] = o.attempt;
  summary["device"] = o.device;
  summary["command"] = o.command;
  summary["attempts"] = attempts;
  fs::write_file_atomic(path, summary.dump(2) + "\n");
  stdfs::path failure = stdfs::path(o.output_dir) / "failure";
  std::error_code ec;
  if (r.failure_reason.empty()) {
    stdfs::remove(failure, ec);
  } else {
    fs::write_file_atomic(failure, r.failure_reason + "\n");
  }
}

}  // namespace

SupervisorResult run_supervised(const SupervisorOptions& o) {
  if (o.command.empty()) {
    throw Error(ErrorKind::kUsage, "no command to supervise",
                "usage: mlbox-trainer [options] -- COMMAND [ARGS...]");
  }
  if (!o.staging_checkpoint_dir.empty()) {
    std::error_code ec;
    stdfs::create_directories(o.staging_checkpoint_dir, ec);
  }
  if (needs_sync(o)) {
    SyncStats s = sync_directory(o.checkpoint_dir, o.staging_checkpoint_dir);
    if (s.copied) {
      note(o,
           "restored " + std::to_string(s.copied) + " checkpoint file(s) from " + o.checkpoint_dir);
    }
  }

  sigset_t handled, old_mask;
  sigemptyset(&handled);
  for (int s : kHandled) sigaddset(&handled, s);
  if (sigprocmask(SIG_BLOCK, &handled, &old_mask) != 0) throw sys_error("sigprocmask");
  int sfd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) throw sys_error("signalfd");

  int out_pipe[2], err_pipe[2], exec_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC) || pipe2(exec_pipe, O_CLOEXEC)) {
    throw sys_error("pipe");
  }
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : o.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> argv;
  for (const auto& a : o.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  auto started = Clock::now();
  pid_t pid = fork();
  if (pid < 0) throw sys_error("fork");
  if (pid == 0) {
    setpgid(0, 0);
    for (const auto& kv : env_strings) putenv(const_cast<char*>(kv.c_str()));
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    execvp(argv[0], argv.data());
    int e = errno;
    (void)!write(exec_pipe[1], &e, sizeof e);
    _exit(127);
  }
  setpgid(pid, pid);  // both sides, so signals can be forwarded whichever runs first
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(exec_pipe[1]);
  int exec_errno = 0;
  if (read(exec_pipe[0], &exec_errno, sizeof exec_errno) != sizeof exec_errno) exec_errno = 0;
  close(exec_pipe[0]);

  std::deque<std::string> err_tail;
  LineStream out_lines(o.out, o.timestamps, nullptr);
  LineStream err_lines(o.err, o.timestamps, &err_tail);
  SupervisorResult r;
  bool child_done = false;
  int status = 0;
  bool term_pending = false, draining = false;
  Clock::time_point term_deadline{}, drain_deadline{};
  auto next_sync = started + o.sync_interval;
  bool out_open = true, err_open = true;

  while (out_open || err_open || !child_done) {
    auto now = Clock::now();
    if (term_pending && !child_done && now >= term_deadline) {
      note(o, "grace period of " + std::to_string(o.grace.count()) +
                  " ms is over: killing process group " + std::to_string(pid));
      kill(-pid, SIGKILL);
      r.killed_after_grace = true;
      term_pending = false;
    }
    if (draining && now >= drain_deadline) break;  // a grandchild holds the pipes
    if (o.sync_interval.count() > 0 && now >= next_sync && !child_done) {
      sync_checkpoints(o, "periodic");
      next_sync = Clock::now() + o.sync_interval;
    }
    pollfd fds[3] = {{sfd, POLLIN, 0},
                     {out_open ? out_pipe[0] : -1, POLLIN, 0},
                     {err_open ? err_pipe[0] : -1, POLLIN, 0}};
    int timeout_ms = 200;
    if (poll(fds, 3, timeout_ms) < 0 && errno != EINTR) throw sys_error("poll");
    char buf[65536];
    for (int i = 1; i <= 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 1 ? out_lines : err_lines).feed(buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        (i == 1 ? out_open : err_open) = false;
      }
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si{};
      while (read(sfd, &si, sizeof si) == sizeof si) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGCHLD) continue;  // reaped below
        if (child_done) continue;
        kill(-pid, sig);
        if (sig == SIGTERM && !term_pending && r.outcome.empty()) {
          r.outcome = "preempted";
          term_pending = true;
          term_deadline = Clock::now() + o.grace;
          note(o, "SIGTERM: forwarded to the job; waiting up to " +
                      std::to_string(o.grace.count()) + " ms before SIGKILL");
        } else {
          note(o, std::string("forwarded ") + strsignal(sig) + " to the job");
        }
      }
    }
    // Reap every child: as PID 1 in a container we also adopt orphans.
    for (;;) {
      int st = 0;
      pid_t w = waitpid(-1, &st, WNOHANG);
      if (w <= 0) break;
      if (w == pid) {
        child_done = true;
        status = st;
        draining = true;
        drain_deadline = Clock::now() + std::chrono::seconds(2);
      }
    }
  }
  out_lines.finish();
  err_lines.finish();
  close(out_pipe[0]);
  close(err_pipe[0]);
  close(sfd);
  kill(-pid, SIGKILL);  // leftovers of the job's process group
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);

  r.duration_s = std::chrono::duration<double>(Clock::now() - started).count();
  if (WIFEXITED(status)) {
    r.child_exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.child_signal = WTERMSIG(status);
  }
  std::string how = r.child_signal ? std::string("was killed by ") + strsignal(r.child_signal)
                                   : "exited with code " + std::to_string(r.child_exit_code);
  std::string tail;
  for (const auto& l : err_tail) tail += "\n  " + l;
  if (exec_errno) {
    r.outcome = "failed";
    r.exit_code = 127;
    r.failure_reason = "cannot run " + quote_command(o.command) + ": " + std::strerror(exec_errno);
  } else if (r.outcome == "preempted") {
    r.exit_code = kExitPreempted;
    r.failure_reason = "preempted: SIGTERM received; the job " + how +
                       (r.killed_after_grace ? " after the grace period" : "") +
                       "; a retry resumes from the last checkpoint";
  } else if (r.child_exit_code == 0) {
    r.outcome = "succeeded";
    r.exit_code = 0;
  } else {
    r.outcome = "failed";
    r.exit_code = r.child_signal ? 128 + r.child_signal : r.child_exit_code;
    r.failure_reason = quote_command(o.command) + " " + how +
                       (tail.empty() ? "" : "; last lines of its stderr:" + tail);
  }
  sync_checkpoints(o, "final");
  note(o, "job " + r.outcome + " (" + how + ") after " + std::to_string(r.duration_s) +
              " s; exit code " + std::to_string(r.exit_code));
  write_summary(o, r);
  return r;
}

}  // namespace mlbox::trainer
