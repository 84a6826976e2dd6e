#include "cloud/local/local_runner.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "builder/trainer_bundle.h"
#include "cloud/local/rootfs_cache.h"
#include "cloud/local/runc_spec.h"
#include "image/image_provenance.h"
#include "util/command_words.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/process.h"

extern char** environ;

namespace mlbox::cloud::local {

namespace stdfs = std::filesystem;
using jobs::JobState;

namespace {

std::atomic<pid_t> g_child{0};
std::atomic<bool> g_interrupted{false};

// Ctrl-C / SIGTERM to `mlbox run`: stop the job's process (runc forwards it to the
// container) instead of leaving it running behind us.
void forward_signal(int) {
  g_interrupted = true;
  pid_t child = g_child.load();
  if (child > 0) ::kill(child, SIGTERM);
}

struct SignalForwarding {
  struct sigaction old_int {
  }, old_term{};
  SignalForwarding() {
    struct sigaction sa {};
    sa.sa_handler = forward_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
  }
  ~SignalForwarding() {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
  }
};

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// fork/exec with stdout and stderr merged into one pipe; every byte goes to `log`, every
// complete line to `on_line`. Returns the exit status (128+signal when killed).
int spawn_streaming(std::vector<std::string> argv, std::vector<std::string> env,
                    const stdfs::path& cwd, const stdfs::path& log,
                    const std::function<void(const std::string&)>& on_line,
                    const std::function<void(pid_t)>& on_started) {
  int logfd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (logfd < 0) {
    throw Error(ErrorKind::kInternal, "cannot open " + log.string() + ": " + std::strerror(errno));
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    ::close(logfd);
    throw Error(ErrorKind::kInternal, std::string("pipe: ") + std::strerror(errno));
  }
  auto cargv = c_strings(argv);
  auto cenv = c_strings(env);
  std::string cwd_s = cwd.string();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    ::close(logfd);
    throw Error(ErrorKind::kInternal, std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    if (!cwd_s.empty() && ::chdir(cwd_s.c_str()) != 0) {
      dprintf(2, "mlbox: cannot enter %s: %s\n", cwd_s.c_str(), std::strerror(errno));
      _exit(127);
    }
    ::execve(cargv[0], cargv.data(), cenv.data());
    dprintf(2, "mlbox: cannot run %s: %s\n", cargv[0], std::strerror(errno));
    _exit(127);
  }
  ::close(fds[1]);
  g_child = pid;
  if (on_started) on_started(pid);
  std::string pending;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    ssize_t off = 0;
    while (off < n) {
      ssize_t w = ::write(logfd, buf + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;  // a full disk must not stop the job; the log just misses lines
      off += w;
    }
    pending.append(buf, static_cast<size_t>(n));
    size_t start = 0, nl;
    while ((nl = pending.find('\n', start)) != std::string::npos) {
      if (on_line) on_line(pending.substr(start, nl - start));
      start = nl + 1;
    }
    pending.erase(0, start);
  }
  if (!pending.empty() && on_line) on_line(pending);
  ::close(fds[0]);
  ::close(logfd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  g_child = 0;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::vector<std::string> contract_env(const std::string& output, const std::string& data,
                                      const std::string& job_id, int attempt) {
  return {"MLBOX_PLATFORM=local",
          "MLBOX_JOB_ID=" + job_id,
          "MLBOX_ATTEMPT=" + std::to_string(attempt),
          "MLBOX_OUTPUT_DIR=" + output,
          "MLBOX_MODEL_DIR=" + output + "/model",
          "MLBOX_CHECKPOINT_DIR=" + output + "/checkpoints",
          "MLBOX_TENSORBOARD_DIR=" + output + "/tensorboard",
          "MLBOX_DATA_DIR=" + data};
}

}  // namespace

// "alice (uid 1000)"
std::string user_description() {
  uid_t uid = ::geteuid();
  std::string name = "uid " + std::to_string(uid);
  if (struct passwd* pw = ::getpwuid(uid); pw && pw->pw_name) {
    name = std::string(pw->pw_name) + " (uid " + std::to_string(uid) + ")";
  }
  return name;
}

stdfs::path jobs_root() {
  return fs::mlbox_home() / "jobs";
}
stdfs::path runc_state_root() {
  return fs::mlbox_home() / "runc";
}

IsolationChoice choose_isolation(const IsolationFacts& facts) {
  if (facts.no_runc_flag) return {Isolation::kHostProcess, "--no-runc was given"};
  if (!facts.no_runc_env.empty() && facts.no_runc_env != "0") {
    return {Isolation::kHostProcess, "MLBOX_NO_RUNC is set"};
  }
  std::string why;
  if (!facts.root) {
    why = "runc needs root here (rootless runc is not set up by mlbox)";
  } else if (!facts.runc_installed) {
    why = "runc is not installed (apt-get install runc)";
  } else {
    return {Isolation::kRunc, ""};
  }
  throw Error(ErrorKind::kConfig, "cannot isolate the job: " + why,
              "to run the image's command directly on this host as " + facts.user +
                  ", outside any container, ask for it: mlbox run --no-runc (or "
                  "MLBOX_NO_RUNC=1)");
}

IsolationFacts isolation_facts_here(bool no_runc_flag) {
  IsolationFacts f;
  f.no_runc_flag = no_runc_flag;
  if (const char* env = std::getenv("MLBOX_NO_RUNC")) f.no_runc_env = env;
  f.root = ::geteuid() == 0;
  f.runc_installed = !fs::which("runc").empty();
  f.user = user_description();
  return f;
}

LocalRunner::LocalRunner(jobs::JobStore& store, Observer& observer)
    : store_(store), observer_(observer) {}

PreparedJob LocalRunner::prepare(const LocalJobOptions& options) {
  image::OciLayout layout(options.store, image::OciLayout::Mode::kReadOnly);  // run only reads
  std::string tag = image::choose_image_tag(layout, options.tag);
  auto descriptor = layout.resolve(tag);
  auto manifest = layout.read_manifest(tag);
  PreparedJob job;
  // Decided before anything is unpacked: a refusal costs nothing.
  IsolationChoice isolation = choose_isolation(isolation_facts_here(options.no_runc));
  job.isolation = isolation.isolation;
  job.isolation_reason = isolation.reason;
  job.config = layout.read_config(manifest);
  RootfsCache cache(rootfs_cache_root());
  auto rootfs = cache.ensure(layout, manifest, job.config, observer_);
  job.rootfs = rootfs.dir;

  const std::string& reason = job.isolation_reason;

  jobs::JobRecord& r = job.record;
  r.id = jobs::new_job_id("local");
  r.name = options.name.empty() ? "job" : options.name;
  r.backend = "local";
  r.image_ref = "oci:" + options.store.string() + ":" + tag;
  r.image_digest = descriptor ? descriptor->digest : "";
  r.state = JobState::kQueued;
  job.job_dir = jobs_root() / r.id;
  stdfs::path output = options.output_dir.empty() ? job.job_dir / "output" : options.output_dir;
  stdfs::create_directories(job.job_dir / "logs");
  stdfs::create_directories(output);
  r.output_dir = stdfs::absolute(output).lexically_normal().string();
  r.details = {{"job_dir", job.job_dir.string()},
               {"rootfs", job.rootfs.string()},
               {"isolation", job.isolation == Isolation::kRunc ? "runc" : "host-process"}};
  if (!reason.empty()) r.details["isolation_reason"] = reason;
  r.details.update(image::provenance_of(job.config.config.labels));  // the store may go
  store_.insert(r);
  return job;
}

AttemptResult LocalRunner::run_attempt(PreparedJob& job, const LocalJobOptions& options,
                                       int number) {
  const std::string& id = job.record.id;
  AttemptResult result;
  result.number = number;
  result.log = job.job_dir / "logs" / ("attempt-" + std::to_string(number) + ".log");
  std::vector<std::string> argv, env;
  stdfs::path cwd;
  std::string container_id;
  const image::ContainerConfig& cc = job.config.config;

  if (job.isolation == Isolation::kRunc) {
    ContainerSpec spec;
    spec.rootfs = job.rootfs;
    spec.args = process_args(cc, options.command);
    std::vector<std::string> image_env = cc.env;
    if (!cc.get_env("PATH")) {
      image_env.insert(image_env.begin(),
                       "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    }
    auto contract = contract_env(kContainerOutputDir, kContainerDataDir, id, number);
    contract.insert(contract.end(), options.env.begin(), options.env.end());
    spec.env = merge_env(image_env, contract);
    spec.cwd = cc.working_dir.empty() ? "/" : cc.working_dir;
    std::tie(spec.uid, spec.gid) = resolve_user(cc.user, job.rootfs);
    spec.hostname = id.substr(0, 63);
    struct rlimit nofile {};
    if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_max != RLIM_INFINITY) {
      spec.nofile = nofile.rlim_max;  // as high as this host lets a process go
    }
    spec.binds.push_back({job.record.output_dir, kContainerOutputDir, false});
    if (!options.data_dir.empty()) {
      spec.binds.push_back({stdfs::absolute(options.data_dir), kContainerDataDir, true});
    }
    ProcessResult ldconfig;
    if (stdfs::exists("/dev/nvidiactl")) {
      ldconfig = run_process({"/sbin/ldconfig", "-p"});
      spec.gpus = detect_nvidia_gpus("/dev", ldconfig.out);
      if (!spec.gpus.empty()) {
        observer_.info("GPUs: passing " + count_of(spec.gpus.devices.size(), "NVIDIA device node") +
                       " and " + count_of(spec.gpus.files.size(), "driver file") +
                       " into the container");
      }
    }
    stdfs::path bundle = job.job_dir / "bundle";
    stdfs::create_directories(bundle);
    fs::write_file_atomic(bundle / "config.json", runc_config(spec).dump(2) + "\n");
    stdfs::create_directories(runc_state_root());
    container_id = id + "-" + std::to_string(number);
    argv = {fs::which("runc").string(),
            "--root",
            runc_state_root().string(),
            "run",
            "--bundle",
            bundle.string(),
            container_id};
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
  } else {
    stdfs::path trainer = builder::locate_trainer_binary();
    std::vector<std::string> entry = cc.entrypoint.value_or(std::vector<std::string>{});
    const std::vector<std::string>& cmd =
        options.command.empty() ? cc.cmd.value_or(std::vector<std::string>{}) : options.command;
    argv = {trainer.string()};
    if (!entry.empty() && stdfs::path(entry[0]).filename() == "mlbox-trainer") {
      argv.insert(argv.end(), entry.begin() + 1, entry.end());
    } else {
      argv.push_back("--");
      argv.insert(argv.end(), entry.begin(), entry.end());
    }
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    // The command names image paths: the image's own trainer becomes the host's, and an
    // absolute path that exists in the image (a config in /workspace, say) points into the
    // unpacked rootfs, so the image's command runs unchanged.
    for (size_t i = 1; i < argv.size(); ++i) {
      std::string& a = argv[i];
      if (a.empty() || a[0] != '/') continue;
      if (stdfs::path(a).filename() == "mlbox-trainer" &&
          a.rfind(builder::kTrainerPrefix, 0) == 0) {
        a = trainer.string();
      } else if (std::error_code ec;
                 stdfs::exists(job.rootfs / stdfs::path(a).relative_path(), ec)) {
        a = (job.rootfs / stdfs::path(a).relative_path()).string();
      }
    }
    if (argv.size() <= 2 && argv.back() == "--") {
      throw Error(ErrorKind::kConfig, "the image has neither Entrypoint nor Cmd: nothing to run");
    }
    std::vector<std::string> host_env;
    for (char** e = environ; *e; ++e) host_env.emplace_back(*e);
    std::vector<std::string> image_env;
    for (const auto& kv : cc.env) {
      if (kv.rfind("PATH=", 0) != 0) image_env.push_back(kv);  // host binaries, host PATH
    }
    std::string data = options.data_dir.empty()
                           ? (stdfs::path(job.record.output_dir) / "data").string()
                           : stdfs::absolute(options.data_dir).string();
    auto contract = contract_env(job.record.output_dir, data, id, number);
    contract.insert(contract.end(), options.env.begin(), options.env.end());
    env = merge_env(merge_env(host_env, image_env), contract);
    cwd = job.rootfs / stdfs::path(cc.working_dir.empty() ? "/" : cc.working_dir).relative_path();
    if (!stdfs::is_directory(cwd)) cwd = job.rootfs;
  }

  store_.set_state(id, JobState::kStarting);
  if (int recorded = store_.begin_attempt(id); recorded != number) {
    throw Error(ErrorKind::kInternal, "job " + id + ": attempt " + std::to_string(number) +
                                          " recorded as " + std::to_string(recorded));
  }
  observer_.debug("attempt " + std::to_string(number) + ": " + quote_command(argv));
  auto on_line = on_log_line ? on_log_line : [this](const std::string& l) { observer_.info(l); };
  int exit_code = spawn_streaming(argv, env, cwd, result.log, on_line, [&](pid_t pid) {
    nlohmann::json d = job.record.details;
    d["runner_pid"] = ::getpid();
    d["pid"] = pid;
    d["attempt"] = number;
    if (!container_id.empty()) {
      d["container_id"] = container_id;
      d["runc_root"] = runc_state_root().string();
    }
    d.erase("preempt_requested");
    store_.set_details(id, d);
    store_.set_state(id, JobState::kRunning);
  });
  result.exit_code = exit_code;

  auto now = store_.find(id);
  bool cancelled = now && now->state == JobState::kCancelled;
  bool preempt_requested = now && now->details.value("preempt_requested", 0) == number;
  if (cancelled || (g_interrupted && !preempt_requested)) {
    result.state = JobState::kCancelled;
  } else if (exit_code == 0) {
    result.state = JobState::kSucceeded;
  } else if (exit_code == kTrainerExitPreempted ||
             (preempt_requested && (exit_code == 128 + SIGTERM || exit_code == 128 + SIGKILL))) {
    result.state = JobState::kPreempted;
  } else {
    result.state = JobState::kFailed;
  }
  static const std::map<JobState, std::string> outcome = {{JobState::kSucceeded, "succeeded"},
                                                          {JobState::kFailed, "failed"},
                                                          {JobState::kPreempted, "preempted"},
                                                          {JobState::kCancelled, "cancelled"}};
  store_.end_attempt(id, number, exit_code, outcome.at(result.state));
  return result;
}

JobState LocalRunner::run(PreparedJob& job, const LocalJobOptions& options) {
  const std::string& id = job.record.id;
  if (job.isolation == Isolation::kHostProcess) {
    observer_.warn("the image's command runs on this host as " + user_description() +
                   ", outside any container (" + job.isolation_reason +
                   "): it can read and change whatever that user can; programs come from the "
                   "host (the host's mlbox-trainer), cwd " +
                   job.rootfs.string());
  }
  SignalForwarding forwarding;
  g_interrupted = false;
  JobState final_state = JobState::kFailed;
  for (int number = 1;; ++number) {
    AttemptResult a = run_attempt(job, options, number);
    observer_.info("attempt " + std::to_string(number) + " " + jobs::to_string(a.state) +
                   " (exit code " + std::to_string(a.exit_code) + "); log: " + a.log.string());
    if (a.state != JobState::kPreempted) {
      final_state = a.state;
      break;
    }
    if (number >= options.max_attempts) {
      observer_.warn("preempted " + std::to_string(number) +
                     " times; giving up (raise --max-attempts to retry more)");
      final_state = JobState::kFailed;
      break;
    }
    store_.set_state(id, JobState::kRetrying);
    observer_.info("retrying: attempt " + std::to_string(number + 1) +
                   " resumes from the checkpoints in " + job.record.output_dir + "/checkpoints");
  }
  store_.set_state(id, final_state);
  return final_state;
}

}  // namespace mlbox::cloud::local
