#include "cloud/local/runc_spec.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace mlbox::cloud::local {

namespace stdfs = std::filesystem;
using nlohmann::json;

std::vector<std::string> process_args(const image::ContainerConfig& config,
                                      const std::vector<std::string>& command) {
  std::vector<std::string> args = config.entrypoint.value_or(std::vector<std::string>{});
  const std::vector<std::string>& tail =
      command.empty() ? config.cmd.value_or(std::vector<std::string>{}) : command;
  args.insert(args.end(), tail.begin(), tail.end());
  if (args.empty()) {
    throw Error(ErrorKind::kConfig, "the image has neither Entrypoint nor Cmd: nothing to run",
                "rebuild the image with a command (mlbox.yaml `command:`) or pass one");
  }
  return args;
}

std::vector<std::string> merge_env(const std::vector<std::string>& image_env,
                                   const std::vector<std::string>& overrides) {
  std::vector<std::string> out = image_env;
  auto key_of = [](const std::string& kv) { return kv.substr(0, kv.find('=')); };
  for (const auto& kv : overrides) {
    std::string key = key_of(kv);
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const std::string& e) { return key_of(e) == key; });
    if (it != out.end()) {
      *it = kv;
    } else {
      out.push_back(kv);
    }
  }
  return out;
}

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Looks `name` up in an /etc/passwd- or /etc/group-style file; returns fields or empty.
std::vector<std::string> lookup_db(const stdfs::path& file, const std::string& key, size_t field) {
  std::string text;
  if (!fs::read_file_if_exists(file, text)) return {};
  for (const auto& line : split(text, '\n')) {
    auto f = split(line, ':');
    if (f.size() > field && f[field] == key) return f;
  }
  return {};
}

}  // namespace

std::pair<uint32_t, uint32_t> resolve_user(const std::string& user, const stdfs::path& rootfs) {
  if (user.empty()) return {0, 0};
  std::string u = user, g;
  if (auto colon = user.find(':'); colon != std::string::npos) {
    u = user.substr(0, colon);
    g = user.substr(colon + 1);
  }
  uint32_t uid = 0, gid = 0;
  if (all_digits(u)) {
    uid = static_cast<uint32_t>(std::stoul(u));
    auto pw = lookup_db(rootfs / "etc/passwd", u, 2);
    if (pw.size() > 3 && all_digits(pw[3])) gid = static_cast<uint32_t>(std::stoul(pw[3]));
  } else {
    auto pw = lookup_db(rootfs / "etc/passwd", u, 0);
    if (pw.size() < 4 || !all_digits(pw[2]) || !all_digits(pw[3])) {
      throw Error(ErrorKind::kConfig, "the image's User '" + user + "' is not in its /etc/passwd",
                  "use a numeric uid[:gid] in the image config or add the user in the image");
    }
    uid = static_cast<uint32_t>(std::stoul(pw[2]));
    gid = static_cast<uint32_t>(std::stoul(pw[3]));
  }
  if (!g.empty()) {
    if (all_digits(g)) {
      gid = static_cast<uint32_t>(std::stoul(g));
    } else {
      auto gr = lookup_db(rootfs / "etc/group", g, 0);
      if (gr.size() < 3 || !all_digits(gr[2])) {
        throw Error(ErrorKind::kConfig,
                    "the image's User group '" + g + "' is not in its /etc/group");
      }
      gid = static_cast<uint32_t>(std::stoul(gr[2]));
    }
  }
  return {uid, gid};
}

namespace {

// Docker's default capability set.
const std::vector<std::string>& default_capabilities() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  return caps;
}

json mount(const std::string& dest, const std::string& type, const std::string& source,
           std::vector<std::string> options) {
  return {{"destination", dest}, {"type", type}, {"source", source}, {"options", options}};
}

}  // namespace

json runc_config(const ContainerSpec& spec) {
  json caps = default_capabilities();
  json process = {
      {"terminal", false},
      {"user", {{"uid", spec.uid}, {"gid", spec.gid}}},
      {"args", spec.args},
      {"env", spec.env},
      {"cwd", spec.cwd.empty() ? "/" : spec.cwd},
      {"capabilities",
       {{"bounding", caps},
        {"effective", caps},
        {"permitted", caps},
        {"inheritable", json::array()}}},
      {"rlimits",
       json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", spec.nofile}, {"soft", spec.nofile}}})},
      {"noNewPrivileges", true}};

  json mounts = json::array();
  mounts.push_back(mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
  mounts.push_back(
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  mounts.push_back(mount("/dev/pts", "devpts", "devpts",
                         {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}));
  mounts.push_back(mount(
      "/dev/shm", "tmpfs", "shm",
      {"nosuid", "noexec", "nodev", "mode=1777", "size=" + std::to_string(spec.shm_size_bytes)}));
  mounts.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  mounts.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
  mounts.push_back(
      mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}));
  mounts.push_back(mount("/tmp", "tmpfs", "tmpfs", {"nosuid", "nodev", "mode=1777"}));
  if (spec.host_network) {
    // The host's resolver and hosts file, as docker --network host does.
    for (const char* f : {"/etc/resolv.conf", "/etc/hosts"}) {
      if (stdfs::exists(f))
        mounts.push_back(mount(f, "bind", f, {"rbind", "ro", "nosuid", "nodev"}));
    }
  }
  for (const auto& b : spec.binds) {
    std::vector<std::string> opts = {"rbind", "nosuid", "nodev"};
    opts.push_back(b.readonly ? "ro" : "rw");
    mounts.push_back(mount(b.destination, "bind", b.source.string(), opts));
  }
  for (const auto& f : spec.gpus.files) {
    mounts.push_back(mount(f.string(), "bind", f.string(), {"rbind", "ro", "nosuid", "nodev"}));
  }

  json namespaces =
      json::array({{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}});
  if (!spec.host_network) namespaces.push_back({{"type", "network"}});

  json device_rules = json::array({{{"allow", false}, {"access", "rwm"}}});
  json devices = json::array();
  for (const auto& d : spec.gpus.devices) {
    std::string type(1, d.type);
    devices.push_back({{"path", d.path},
                       {"type", type},
                       {"major", d.major},
                       {"minor", d.minor},
                       {"fileMode", 0666},
                       {"uid", 0},
                       {"gid", 0}});
    device_rules.push_back({{"allow", true},
                            {"type", type},
                            {"major", d.major},
                            {"minor", d.minor},
                            {"access", "rwm"}});
  }
  json resources = {{"devices", device_rules}};
  if (spec.memory_limit_bytes) resources["memory"] = {{"limit", *spec.memory_limit_bytes}};
  if (spec.cpus) {
    constexpr int64_t period = 100000;
    resources["cpu"] = {{"period", period},
                        {"quota", static_cast<int64_t>(std::llround(*spec.cpus * period))}};
  }

  json linux_section = {
      {"namespaces", namespaces},
      {"resources", resources},
      {"maskedPaths",
       {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
        "/proc/scsi"}},
      {"readonlyPaths",
       {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}};
  if (!devices.empty()) linux_section["devices"] = devices;

  return {{"ociVersion", "1.0.2"},
          {"process", process},
          {"root", {{"path", spec.rootfs.string()}, {"readonly", spec.readonly_rootfs}}},
          {"hostname", spec.hostname},
          {"mounts", mounts},
          {"linux", linux_section}};
}

GpuPassthrough detect_nvidia_gpus(const stdfs::path& dev, const std::string& ldconfig_output) {
  GpuPassthrough gpus;
  std::error_code ec;
  std::vector<stdfs::path> nodes;
  for (const auto& e : stdfs::directory_iterator(dev, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("nvidia", 0) == 0 && !e.is_directory()) nodes.push_back(e.path());
  }
  if (stdfs::is_directory(dev / "nvidia-caps", ec)) {
    for (const auto& e : stdfs::directory_iterator(dev / "nvidia-caps", ec))
      nodes.push_back(e.path());
  }
  std::sort(nodes.begin(), nodes.end());
  for (const auto& p : nodes) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) continue;
    gpus.devices.push_back({"/dev/" + stdfs::relative(p, dev).string(),
                            S_ISCHR(st.st_mode) ? 'c' : 'b', major(st.st_rdev), minor(st.st_rdev)});
  }
  if (gpus.devices.empty()) return gpus;
  // Driver libraries the CUDA/NVML user space needs; each with the file its soname points to.
  static const std::vector<std::string> wanted = {
      "libcuda.so.1",        "libnvidia-ml.so.1",    "libnvidia-ptxjitcompiler.so.1",
      "libnvidia-nvvm.so.4", "libcudadebugger.so.1", "libnvidia-allocator.so.1",
      "libnvidia-cfg.so.1",  "libnvidia-opencl.so.1"};
  std::set<stdfs::path> files;
  for (const auto& line : split(ldconfig_output, '\n')) {
    std::string t(trim(line));
    auto sp = t.find(' ');
    auto arrow = t.find("=> ");
    if (sp == std::string::npos || arrow == std::string::npos) continue;
    std::string soname = t.substr(0, sp);
    if (std::find(wanted.begin(), wanted.end(), soname) == wanted.end()) continue;
    if (t.find("x86-64") == std::string::npos && t.find("AArch64") == std::string::npos) continue;
    stdfs::path path = t.substr(arrow + 3);
    files.insert(path);
    stdfs::path real = stdfs::canonical(path, ec);
    if (!ec && real != path) files.insert(real);
  }
  for (const char* tool : {"/usr/bin/nvidia-smi", "/usr/bin/nvidia-debugdump"}) {
    if (stdfs::exists(tool, ec)) files.insert(tool);
  }
  gpus.files.assign(files.begin(), files.end());
  return gpus;
}

}  // namespace mlbox::cloud::local
