#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include "native/distributed.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>

#include "util/error.h"

namespace mlbox::trainer {

struct Collectives::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  const char* backend = "gloo";
};

Collectives::~Collectives() = default;

std::unique_ptr<Collectives> Collectives::connect(const PlatformLayout& layout, bool cuda,
                                                  FILE* log) {
  std::unique_ptr<Collectives> c(new Collectives());
  c->impl_ = std::make_unique<Impl>();
  c->rank_ = layout.rank;
  c->world_ = layout.world_size;
  auto timeout = std::chrono::milliseconds(300000);
  if (const char* t = std::getenv("MLBOX_DIST_TIMEOUT_SECONDS")) {
    timeout = std::chrono::milliseconds(static_cast<long long>(std::atof(t) * 1000));
  }
  std::fprintf(log, "mlbox-trainer: rank %d/%d joining %s:%d\n", layout.rank, layout.world_size,
               layout.master_addr.c_str(), layout.master_port);
  std::fflush(log);
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(layout.master_port);
    so.isServer = layout.rank == 0;
    so.numWorkers = static_cast<size_t>(layout.world_size);
    so.waitWorkers = true;
    so.timeout = timeout;
    c->impl_->store = c10::make_intrusive<c10d::TCPStore>(layout.master_addr, so);
#ifdef USE_C10D_NCCL
    if (cuda) {
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      c->impl_->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(c->impl_->store, layout.rank,
                                                                 layout.world_size, opts);
      c->impl_->backend = "nccl";
      return c;
    }
#else
    (void)cuda;
#endif
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    // Like torch.distributed: GLOO_SOCKET_IFNAME names the interface; a loopback master
    // means a single-host run; otherwise this host's name decides the address.
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    } else if (layout.master_addr.rfind("127.", 0) == 0 || layout.master_addr == "localhost") {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    } else {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    opts->threads = 2;
    c->impl_->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(c->impl_->store, layout.rank,
                                                               layout.world_size, opts);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::kNetwork,
                "rank " + std::to_string(layout.rank) + ": cannot join the process group at " +
                    layout.master_addr + ":" + std::to_string(layout.master_port) + ": " + e.what(),
                "check MASTER_ADDR/MASTER_PORT (or CLUSTER_SPEC / AWS_BATCH_JOB_*) and that "
                "every rank started");
  }
  return c;
}

void Collectives::allreduce_sum(at::Tensor& t) {
  std::vector<at::Tensor> ts = {t};
  impl_->pg->allreduce(ts)->wait();
}

void Collectives::broadcast_from_root(at::Tensor& t) {
  std::vector<at::Tensor> ts = {t};
  impl_->pg->broadcast(ts)->wait();
}

const char* Collectives::backend() const {
  return impl_->backend;
}

}  // namespace mlbox::trainer
