// One process per GPU. Native mode: the supervisor starts one mlbox-native per visible GPU on
// each node, each with the torch.distributed variables of its global rank (world size = nodes
// x processes per node). Command mode: one process per node (the user's torchrun, Lightning or
// Accelerate spawns per GPU), with the variables those launchers read.
#pragma once

#include <vector>

#include "trainer/platform_contract.h"

namespace mlbox::trainer {

// Processes per node for native mode: MLBOX_NPROC_PER_NODE when set (an override, and the
// test hook that stands N CPU ranks in for N GPUs), else the GPUs the driver found usable,
// at least 1. Throws Error(kConfig) for a malformed MLBOX_NPROC_PER_NODE.
int native_processes_per_node(const EnvMap& env, int usable_gpus);

// The environment of each local process (empty when one process runs on one node: nothing to
// add). Entry i has RANK = node_rank x per_node + i, WORLD_SIZE, LOCAL_RANK = i,
// LOCAL_WORLD_SIZE, NODE_RANK, NNODES, MASTER_ADDR, MASTER_PORT.
std::vector<EnvMap> native_rank_environments(const PlatformLayout& node, int per_node);

// Command mode, multi-node or multi-GPU: MASTER_ADDR/PORT, NODE_RANK, NNODES, the node-level
// RANK / WORLD_SIZE / LOCAL_RANK / LOCAL_WORLD_SIZE of the one process mlbox starts,
// MLBOX_GPUS_PER_NODE, and torchrun's PET_NNODES / PET_NODE_RANK / PET_MASTER_ADDR /
// PET_MASTER_PORT / PET_NPROC_PER_NODE (so `torchrun train.py` needs no flags). Empty for a
// single node with at most one GPU.
EnvMap launcher_environment(const PlatformLayout& node, int gpus_per_node);

}  // namespace mlbox::trainer
