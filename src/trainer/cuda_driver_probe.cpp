#include "trainer/cuda_driver_probe.h"

#include <dlfcn.h>

#include <cstring>

namespace mlbox::trainer {

namespace {

using CUresult = int;
using CUdevice = int;
using CUcontext = void*;
using CUdeviceptr = unsigned long long;
constexpr int kAttrMajor = 75;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
constexpr int kAttrMinor = 76;

struct Api {
  CUresult (*init)(unsigned) = nullptr;
  CUresult (*driver_version)(int*) = nullptr;
  CUresult (*device_count)(int*) = nullptr;
  CUresult (*device_get)(CUdevice*, int) = nullptr;
  CUresult (*device_name)(char*, int, CUdevice) = nullptr;
  CUresult (*total_mem)(size_t*, CUdevice) = nullptr;
  CUresult (*attribute)(int*, int, CUdevice) = nullptr;
  CUresult (*retain)(CUcontext*, CUdevice) = nullptr;
  CUresult (*release)(CUdevice) = nullptr;
  CUresult (*set_current)(CUcontext) = nullptr;
  CUresult (*mem_alloc)(CUdeviceptr*, size_t) = nullptr;
  CUresult (*mem_free)(CUdeviceptr) = nullptr;
  CUresult (*memset_d32)(CUdeviceptr, unsigned, size_t) = nullptr;
  CUresult (*memcpy_dtoh)(void*, CUdeviceptr, size_t) = nullptr;
  CUresult (*sync)() = nullptr;
};

template <typename F>
bool bind(void* lib, const char* name, F& fn) {
  fn = reinterpret_cast<F>(dlsym(lib, name));
  return fn != nullptr;
}

std::string memory_check(const Api& api, CUdevice dev) {
  CUcontext ctx = nullptr;
  if (api.retain(&ctx, dev) != 0 || api.set_current(ctx) != 0) return "cannot create a context";
  const size_t n = 1 << 20;  // 4 MiB of 32-bit words
  CUdeviceptr p = 0;
  std::string err;
  if (api.mem_alloc(&p, n * 4) != 0) {
    err = "cuMemAlloc of 4 MiB failed";
  } else {
    std::vector<unsigned> host(n, 0);
    if (api.memset_d32(p, 0xC0FFEEu, n) != 0 || api.sync() != 0 ||
        api.memcpy_dtoh(host.data(), p, n * 4) != 0) {
      err = "memset/copy on the device failed";
    } else {
      for (unsigned v : host) {
        if (v != 0xC0FFEEu) {
          err = "device memory returned wrong values";
          break;
        }
      }
    }
    api.mem_free(p);
  }
  api.release(dev);
  return err;
}

}  // namespace

std::string DriverProbe::driver_version_text() const {
  if (!driver_version) return "";
  return std::to_string(driver_version / 1000) + "." + std::to_string((driver_version % 1000) / 10);
}

DriverProbe probe_cuda_driver(const std::string& library) {
  DriverProbe r;
  void* lib = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    r.error = "no CUDA driver (" + library + " not found)";
    return r;
  }
  Api api;
  bool ok =
      bind(lib, "cuInit", api.init) && bind(lib, "cuDriverGetVersion", api.driver_version) &&
      bind(lib, "cuDeviceGetCount", api.device_count) && bind(lib, "cuDeviceGet", api.device_get) &&
      bind(lib, "cuDeviceGetName", api.device_name) &&
      bind(lib, "cuDeviceTotalMem_v2", api.total_mem) &&
      bind(lib, "cuDeviceGetAttribute", api.attribute) &&
      bind(lib, "cuDevicePrimaryCtxRetain", api.retain) &&
      bind(lib, "cuDevicePrimaryCtxRelease_v2", api.release) &&
      bind(lib, "cuCtxSetCurrent", api.set_current) && bind(lib, "cuMemAlloc_v2", api.mem_alloc) &&
      bind(lib, "cuMemFree_v2", api.mem_free) && bind(lib, "cuMemsetD32_v2", api.memset_d32) &&
      bind(lib, "cuMemcpyDtoH_v2", api.memcpy_dtoh) && bind(lib, "cuCtxSynchronize", api.sync);
  if (!ok) {
    r.error = library + " lacks a driver API entry point (driver too old?)";
    return r;  // keep the library loaded: it is the process's driver
  }
  r.driver_loaded = true;
  if (CUresult e = api.init(0); e != 0) {
    r.error = "cuInit failed with CUresult " + std::to_string(e) +
              (e == 100 ? " (no CUDA-capable device)" : "");
    return r;
  }
  api.driver_version(&r.driver_version);
  int count = 0;
  api.device_count(&count);
  for (int i = 0; i < count; ++i) {
    DriverDevice d;
    d.index = i;
    CUdevice dev = 0;
    if (api.device_get(&dev, i) != 0) {
      d.error = "cuDeviceGet failed";
      r.devices.push_back(d);
      continue;
    }
    char name[256] = {0};
    api.device_name(name, sizeof name - 1, dev);
    d.name = name;
    size_t mem = 0;
    api.total_mem(&mem, dev);
    d.total_memory = mem;
    api.attribute(&d.major, kAttrMajor, dev);
    api.attribute(&d.minor, kAttrMinor, dev);
    d.error = memory_check(api, dev);
    d.memory_ok = d.error.empty();
    r.devices.push_back(d);
  }
  return r;
}

}  // namespace mlbox::trainer
