// mlbox-native for an image: the native training program compiled on this machine (CMake and
// the system C++ compiler) against the torch wheel that mlbox.lock pins, bundled for
// /opt/mlbox/native with every library it needs except torch's own, which it finds in the
// deps layer (/opt/mlbox/site-packages/torch/lib, first in its RUNPATH). Only images whose
// manifest has train.native get it: a command-mode image carries no libtorch from mlbox.
//
// Cached under $MLBOX_NATIVE_CACHE (default $MLBOX_HOME/cache/native) by the sources' digest,
// the wheel's sha256 and the compiler's identity; an interrupted compile leaves a work folder
// that the next build resumes (CMake rebuilds what is missing), and the bundle appears by an
// atomic rename only when complete.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/events.h"
#include "freeze/lock.h"
#include "util/process.h"

namespace mlbox::builder {

inline constexpr const char* kNativePrefix = "/opt/mlbox/native";
inline constexpr const char* kImageTorchLib = "/opt/mlbox/site-packages/torch/lib";

struct NativeProgramInputs {
  const freeze::Lock* lock = nullptr;
  std::string lock_path;  // for messages: "mlbox.lock"
  std::string platform;   // manylinux2014_x86_64
  std::string python;     // 3.11
  std::string python_exe = "python3";
  // Where pip finds the torch wheel (as for the deps layer).
  std::vector<std::string> find_links;
  bool no_index = false;
  std::string index_url;
  std::filesystem::path cache_root;  // empty: $MLBOX_NATIVE_CACHE or $MLBOX_HOME/cache/native
};

struct NativeProgram {
  std::filesystem::path dir;  // bin/mlbox-native, lib/
  std::string key;            // sha256 of what it was built from
  std::string torch_version;
  size_t files = 0;
  uint64_t bytes = 0;
};

// The sources mlbox-native is compiled from: $MLBOX_NATIVE_SOURCES, else the installed data
// dir (<prefix>/share/mlbox/src next to <prefix>/bin/mlbox), else this build's source tree.
// Throws Error(kConfig) when none has native/CMakeLists.txt.
std::filesystem::path locate_native_sources();

// What mlbox-native compiles besides src/native/ (stems; .h and .cpp where they exist). The
// same list is in src/native/CMakeLists.txt and the install rules of CMakeLists.txt.
inline constexpr const char* kNativeSharedSources[] = {"trainer/cuda_driver_probe",
                                                       "trainer/platform_contract",
                                                       "trainer/exit_codes",
                                                       "util/crc32c",
                                                       "util/error",
                                                       "util/fs",
                                                       "util/hash",
                                                       "util/strings",
                                                       "util/utc_time"};

// Every file of native/ and of kNativeSharedSources under `src`, relative, sorted.
std::vector<std::string> native_source_files(const std::filesystem::path& src);
// sha256 over those files' paths and contents: the sources part of the cache key.
std::string native_sources_digest(const std::filesystem::path& src);

// The torch pin of the lock. Throws Error(kConfig) naming the fix when there is none.
const freeze::LockedPackage& locked_torch(const freeze::Lock& lock, const std::string& lock_path);

// Returns the cached program for these inputs, compiling it when missing. Errors: no torch in
// the lock, no compiler / CMake (kConfig, naming the Debian packages), a wheel without
// TorchConfig.cmake (kConfig, naming the version), a compile error (kInternal, with the
// compiler's first error lines and the log's path).
NativeProgram ensure_native_program(const NativeProgramInputs& inputs, CommandRunner& runner,
                                    Observer& observer);

}  // namespace mlbox::builder
