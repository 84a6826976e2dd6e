#include "trainer/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>

#include "trainer/dir_sync.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/process.h"
#include "util/utc_time.h"

namespace mlbox::trainer {

namespace stdfs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string utc_timestamp_now() {
  return utc_now_millis();
}

nlohmann::json SupervisorResult::to_json() const {
  nlohmann::json j = {{"exit_code", exit_code},
                      {"outcome", outcome},
                      {"child_exit_code", child_exit_code},
                      {"child_signal", child_signal},
                      {"killed_after_grace", killed_after_grace},
                      {"duration_s", duration_s}};
  if (!failure_reason.empty()) j["failure_reason"] = failure_reason;
  if (!stop_reason.empty()) j["stop_reason"] = stop_reason;
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
  LineStream(FILE* sink, bool timestamps, std::deque<std::string>* tail, std::string prefix = "")
      : sink_(sink), timestamps_(timestamps), tail_(tail), prefix_(std::move(prefix)) {}
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
      std::fprintf(sink_, "%s %s%.*s\n", ts.c_str(), prefix_.c_str(), static_cast<int>(line.size()),
                   line.data());
    } else {
      std::fprintf(sink_, "%s%.*s\n", prefix_.c_str(), static_cast<int>(line.size()), line.data());
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
  std::string prefix_;
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
  if (!needs_sync(o) || !o.publish_checkpoints) return;
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
  if (!o.after_sync || !o.publish_checkpoints) return;
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

namespace {

// One process the supervisor started: the command, with one rank's environment on top.
struct Child {
  pid_t pid = -1;
  int out_fd = -1, err_fd = -1;
  bool out_open = true, err_open = true, done = false;
  int status = 0;
  int exec_errno = 0;
  std::deque<std::string> err_tail;
  std::unique_ptr<LineStream> out_lines, err_lines;
};

void start_child(const SupervisorOptions& o, const EnvMap& overlay, const sigset_t& old_mask,
                 const std::string& prefix, Child& c) {
  int out_pipe[2], err_pipe[2], exec_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC) || pipe2(exec_pipe, O_CLOEXEC)) {
    throw sys_error("pipe");
  }
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : o.env) {
    if (!overlay.count(k)) env_strings.push_back(k + "=" + v);
  }
  for (const auto& [k, v] : overlay) env_strings.push_back(k + "=" + v);
  std::vector<char*> argv;
  for (const auto& a : o.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw sys_error("fork");
  if (pid == 0) {
    setpgid(0, 0);
    // The job does not outlive its supervisor (a SIGKILLed mlbox-trainer outside a container
    // would otherwise leave it training into the checkpoint dir the next attempt uses).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
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
  if (read(exec_pipe[0], &c.exec_errno, sizeof c.exec_errno) != sizeof c.exec_errno) {
    c.exec_errno = 0;
  }
  close(exec_pipe[0]);
  c.pid = pid;
  c.out_fd = out_pipe[0];
  c.err_fd = err_pipe[0];
  c.out_lines = std::make_unique<LineStream>(o.out, o.timestamps, nullptr, prefix);
  c.err_lines = std::make_unique<LineStream>(o.err, o.timestamps, &c.err_tail, prefix);
}

bool failed(const Child& c) {
  return c.done && (c.exec_errno || !WIFEXITED(c.status) || WEXITSTATUS(c.status) != 0);
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

  std::vector<EnvMap> ranks = o.ranks.empty() ? std::vector<EnvMap>{EnvMap{}} : o.ranks;
  std::vector<Child> children(ranks.size());
  auto started = Clock::now();
  for (size_t i = 0; i < ranks.size(); ++i) {
    std::string prefix = ranks.size() > 1 ? "[rank " + std::to_string(i) + "] " : "";
    start_child(o, ranks[i], old_mask, prefix, children[i]);
  }
  auto signal_all = [&](int sig) {
    for (auto& c : children) {
      if (!c.done) kill(-c.pid, sig);
    }
  };
  auto all_done = [&] {
    for (const auto& c : children) {
      if (!c.done) return false;
    }
    return true;
  };
  auto pipes_open = [&] {
    for (const auto& c : children) {
      if (c.out_open || c.err_open) return true;
    }
    return false;
  };

  SupervisorResult r;
  bool term_pending = false, draining = false, stopping_peers = false;
  Clock::time_point term_deadline{}, drain_deadline{};
  auto next_sync = started + o.sync_interval;
  auto next_metrics = started + o.metrics_interval;

  while (pipes_open() || !all_done()) {
    auto now = Clock::now();
    if (term_pending && !all_done() && now >= term_deadline) {
      note(o, "grace period of " + std::to_string(o.grace.count()) + " ms is over: killing " +
                  (children.size() > 1 ? "the ranks' process groups"
                                       : "process group " + std::to_string(children[0].pid)));
      signal_all(SIGKILL);
      r.killed_after_grace = true;
      term_pending = false;
    }
    if (draining && now >= drain_deadline) break;  // a grandchild holds the pipes
    if (o.sync_interval.count() > 0 && now >= next_sync && !all_done()) {
      sync_checkpoints(o, "periodic");
      next_sync = Clock::now() + o.sync_interval;
    }
    if (o.publish_metrics && o.metrics_interval.count() > 0 && now >= next_metrics && !all_done()) {
      o.publish_metrics();
      next_metrics = Clock::now() + o.metrics_interval;
      if (o.stop_check && r.outcome.empty() && !term_pending) {
        if (auto why = o.stop_check()) {
          r.outcome = "stopped";
          r.stop_reason = *why;
          note(o, "stopping the job early: " + *why + "; SIGTERM, then up to " +
                      std::to_string(o.grace.count()) + " ms before SIGKILL");
          signal_all(SIGTERM);
          term_pending = true;
          term_deadline = Clock::now() + o.grace;
        }
      }
    }
    std::vector<pollfd> fds = {{sfd, POLLIN, 0}};
    for (const auto& c : children) {
      fds.push_back({c.out_open ? c.out_fd : -1, POLLIN, 0});
      fds.push_back({c.err_open ? c.err_fd : -1, POLLIN, 0});
    }
    if (poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR) throw sys_error("poll");
    char buf[65536];
    for (size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Child& c = children[(i - 1) / 2];
      bool is_out = (i - 1) % 2 == 0;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (is_out ? c.out_lines : c.err_lines)->feed(buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        (is_out ? c.out_open : c.err_open) = false;
      }
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si{};
      while (read(sfd, &si, sizeof si) == sizeof si) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGCHLD) continue;  // reaped below
        if (all_done()) continue;
        signal_all(sig);
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
      for (size_t i = 0; i < children.size(); ++i) {
        Child& c = children[i];
        if (w != c.pid) continue;
        c.done = true;
        c.status = st;
        // One rank failing ends the job (as torchrun does): the others get SIGTERM and the
        // grace period, so that none waits forever on a collective.
        if (children.size() > 1 && failed(c) && !stopping_peers && r.outcome.empty()) {
          stopping_peers = true;
          note(o, "rank " + std::to_string(i) + " failed: stopping the other ranks");
          signal_all(SIGTERM);
          term_pending = true;
          term_deadline = Clock::now() + o.grace;
        }
      }
      if (all_done() && !draining) {
        draining = true;
        drain_deadline = Clock::now() + std::chrono::seconds(2);
      }
    }
  }
  for (auto& c : children) {
    c.out_lines->finish();
    c.err_lines->finish();
    close(c.out_fd);
    close(c.err_fd);
    kill(-c.pid, SIGKILL);  // leftovers of the job's process groups
  }
  close(sfd);
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);

  // The result speaks for the first rank that failed (or exec'd nothing), else rank 0.
  size_t which = 0;
  for (size_t i = 0; i < children.size(); ++i) {
    if (failed(children[i])) {
      which = i;
      break;
    }
  }
  const Child& chosen = children[which];
  int status = chosen.status;
  int exec_errno = chosen.exec_errno;
  const std::deque<std::string>& err_tail = chosen.err_tail;
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
  } else if (r.outcome == "stopped") {
    r.exit_code = 0;  // asked to stop: done, not failed, not to be retried
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
  if (children.size() > 1 && !r.failure_reason.empty() && r.outcome == "failed") {
    r.failure_reason = "rank " + std::to_string(which) + ": " + r.failure_reason;
  }
  sync_checkpoints(o, "final");
  if (o.publish_metrics) o.publish_metrics();
  note(o, "job " + r.outcome + " (" + how + ") after " + std::to_string(r.duration_s) +
              " s; exit code " + std::to_string(r.exit_code));
  write_summary(o, r);
  return r;
}

}  // namespace mlbox::trainer
