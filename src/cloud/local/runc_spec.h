// The OCI runtime spec (runtime-spec config.json) the local backend hands to runc: the
// image's process (Entrypoint + Cmd, Env, WorkingDir, User), a read-only shared rootfs from
// the rootfs cache with a writable tmpfs /tmp, bind mounts for the job's output and data,
// pid/ipc/uts/mount namespaces and the host network (so local distributed runs and
// downloads work like on a laptop), no_new_privileges, a Docker-like capability set, and
// cgroup limits when asked for.
//
// GPUs: when /dev/nvidia* exist, each device node is added (linux.devices plus a cgroup
// allow rule) and the driver's user-space libraries (libcuda.so.1, libnvidia-ml.so.1 and
// friends, found with ldconfig -p) and nvidia-smi are bind-mounted read-only at their host
// paths, which is what the NVIDIA container runtime hook does for `docker --gpus`. This
// machine has no GPU: that part is unit-tested on the JSON only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/image_config.h"

namespace mlbox::cloud::local {

struct BindMount {
  std::filesystem::path source;  // host path
  std::string destination;       // path in the container
  bool readonly = false;
};

struct DeviceNode {
  std::string path;  // /dev/nvidia0
  char type = 'c';
  int64_t major = 0;
  int64_t minor = 0;
};

struct GpuPassthrough {
  std::vector<DeviceNode> devices;
  std::vector<std::filesystem::path> files;  // driver libraries and tools, bound at same path
  bool empty() const { return devices.empty(); }
};

struct ContainerSpec {
  std::filesystem::path rootfs;
  std::vector<std::string> args;
  std::vector<std::string> env;  // KEY=value
  std::string cwd = "/";
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string hostname = "mlbox";
  bool readonly_rootfs = true;
  bool host_network = true;
  std::vector<BindMount> binds;
  GpuPassthrough gpus;
  std::optional<int64_t> memory_limit_bytes;
  std::optional<double> cpus;          // CFS quota over a 100 ms period
  int64_t shm_size_bytes = 1LL << 30;  // /dev/shm: PyTorch DataLoader workers use it
  uint64_t nofile = 1024;              // RLIMIT_NOFILE (runc cannot raise it above the host's)
};

// Entrypoint + Cmd, or Entrypoint + `command` when the job overrides the command.
// Throws Error(kConfig) when the result is empty.
std::vector<std::string> process_args(const image::ContainerConfig& config,
                                      const std::vector<std::string>& command = {});

// The image's env with `overrides` (KEY=value) replacing or appending by key; order kept.
std::vector<std::string> merge_env(const std::vector<std::string>& image_env,
                                   const std::vector<std::string>& overrides);

// The image's User ("uid", "uid:gid", "name", "name:group") resolved against the rootfs's
// /etc/passwd and /etc/group. Throws Error(kConfig) for a name the image does not define.
std::pair<uint32_t, uint32_t> resolve_user(const std::string& user,
                                           const std::filesystem::path& rootfs);

// config.json for runc.
nlohmann::json runc_config(const ContainerSpec& spec);

// NVIDIA devices and driver files on this host under `dev` (normally "/dev"); empty when
// there is no NVIDIA GPU. `ldconfig_output` is `ldconfig -p` (injected for tests).
GpuPassthrough detect_nvidia_gpus(const std::filesystem::path& dev,
                                  const std::string& ldconfig_output);

}  // namespace mlbox::cloud::local
