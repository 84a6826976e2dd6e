// The trainer bundle: mlbox-trainer (the supervisor; no libtorch) plus its whole shared-library
// closure and the dynamic loader, laid out for /opt/mlbox/ in an image (bin/, lib/), with the
// ELF interpreter set to /opt/mlbox/lib/<loader> and rpaths relative to $ORIGIN (patchelf), so
// it runs on any base -- glibc or not -- and leaks no LD_LIBRARY_PATH to the user's process.
// Bundles are cached by the binary's content under $MLBOX_HOME/cache/trainer/.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/events.h"
#include "util/process.h"

namespace mlbox::builder {

inline constexpr const char* kTrainerPrefix = "/opt/mlbox";

struct SharedLib {
  std::string soname;          // name the binary asks for (libtorch_cpu.so.1.13)
  std::filesystem::path path;  // resolved host path
};

struct LddClosure {
  std::vector<SharedLib> libs;
  std::filesystem::path loader;  // /lib64/ld-linux-x86-64.so.2
};

// Parse `ldd` output. Throws Error(kInternal) naming each "not found" library.
LddClosure parse_ldd(const std::string& output);

struct TrainerBundle {
  std::filesystem::path dir;  // contains bin/mlbox-trainer and lib/
  std::string binary_sha256;  // the cache key: hash of the unpatched binary
  size_t files = 0;
  uint64_t bytes = 0;
};

// A program with its shared-library closure and the dynamic loader, laid out as bin/<name> and
// lib/ for `prefix` in an image: interpreter <prefix>/lib/<loader>, RUNPATH `rpath_first`
// then <prefix>/lib, every library's RUNPATH $ORIGIN; the program stripped of debug info.
// Libraries that resolve under `provided_dir` are left out: the image has them elsewhere
// (mlbox-native's torch, from the deps layer).
struct BundleSpec {
  std::filesystem::path binary;
  std::string name;    // "mlbox-trainer", "mlbox-native"
  std::string prefix;  // "/opt/mlbox", "/opt/mlbox/native"
  std::vector<std::string> rpath_first;
  std::filesystem::path provided_dir;
  // Set for the `ldd` run: where the program finds what `provided_dir` holds on this host
  // (its RUNPATH names image paths only).
  std::map<std::string, std::string> ldd_env;
};
void write_program_bundle(const BundleSpec& spec, const std::filesystem::path& stage,
                          CommandRunner& runner);
// write_program_bundle into a stage beside `dest`, then an atomic rename to `dest`.
void store_program_bundle(const BundleSpec& spec, const std::filesystem::path& dest,
                          CommandRunner& runner);
// Files and bytes under a bundle directory.
void count_bundle(const std::filesystem::path& dir, size_t& files, uint64_t& bytes);

// Where the mlbox-trainer binary is: $MLBOX_TRAINER, else next to the running mlbox, else
// ../lib/mlbox/ from it, else PATH. Throws Error(kConfig) when none is found.
std::filesystem::path locate_trainer_binary();

// Returns the cached bundle for `binary`, creating it (atomically) when missing.
TrainerBundle ensure_trainer_bundle(const std::filesystem::path& binary,
                                    const std::filesystem::path& cache_root, CommandRunner& runner,
                                    Observer& observer);

}  // namespace mlbox::builder
