#include "trainer/process_ranks.h"

#include <charconv>
#include <string>

#include "util/error.h"

namespace mlbox::trainer {

int native_processes_per_node(const EnvMap& env, int usable_gpus) {
  if (auto it = env.find("MLBOX_NPROC_PER_NODE"); it != env.end() && !it->second.empty()) {
    const std::string& v = it->second;
    int n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || n < 1 || n > 1024) {
      throw Error(ErrorKind::kConfig,
                  "MLBOX_NPROC_PER_NODE='" + v + "' is not a number of processes",
                  "set it to an integer from 1 to 1024, or unset it for one process per GPU");
    }
    return n;
  }
  return usable_gpus > 0 ? usable_gpus : 1;
}

namespace {

void put_common(EnvMap& e, const PlatformLayout& node) {
  e["MASTER_ADDR"] = node.master_addr;
  e["MASTER_PORT"] = std::to_string(node.master_port);
  e["NODE_RANK"] = std::to_string(node.rank);
  e["NNODES"] = std::to_string(node.world_size);
}

}  // namespace

std::vector<EnvMap> native_rank_environments(const PlatformLayout& node, int per_node) {
  std::vector<EnvMap> out;
  if (per_node <= 1 && node.world_size <= 1) return out;
  int world = node.world_size * per_node;
  for (int i = 0; i < per_node; ++i) {
    EnvMap e;
    put_common(e, node);
    e["RANK"] = std::to_string(node.rank * per_node + i);
    e["WORLD_SIZE"] = std::to_string(world);
    e["LOCAL_RANK"] = std::to_string(i);
    e["LOCAL_WORLD_SIZE"] = std::to_string(per_node);
    out.push_back(std::move(e));
  }
  return out;
}

EnvMap launcher_environment(const PlatformLayout& node, int gpus_per_node) {
  EnvMap e;
  if (node.world_size <= 1 && gpus_per_node <= 1) return e;
  int g = gpus_per_node > 0 ? gpus_per_node : 1;
  put_common(e, node);
  e["RANK"] = std::to_string(node.rank);
  e["WORLD_SIZE"] = std::to_string(node.world_size);
  e["LOCAL_RANK"] = "0";
  e["LOCAL_WORLD_SIZE"] = "1";
  e["MLBOX_GPUS_PER_NODE"] = std::to_string(g);
  e["PET_NNODES"] = std::to_string(node.world_size);
  e["PET_NODE_RANK"] = std::to_string(node.rank);
  e["PET_MASTER_ADDR"] = node.master_addr;
  e["PET_MASTER_PORT"] = std::to_string(node.master_port);
  e["PET_NPROC_PER_NODE"] = std::to_string(g);
  return e;
}

}  // namespace mlbox::trainer
