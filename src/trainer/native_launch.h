// Native mode from the supervisor's side: `mlbox-trainer native --config FILE` finds the
// native training program (mlbox-native, compiled against the image's own torch), turns a YAML
// config into the JSON it reads, and describes the command the supervisor starts once per GPU.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "trainer/platform_contract.h"

namespace mlbox::trainer {

struct NativeProgram {
  std::filesystem::path binary;  // .../native/bin/mlbox-native in an image
  // Its bundled libraries (.../native/lib), for the child's LD_LIBRARY_PATH only: the torch
  // libraries of the deps layer look there for the C++ runtime the program brought. Empty in a
  // build tree.
  std::filesystem::path lib_dir;
};

// $MLBOX_NATIVE, else <this binary's dir>/../native/bin/mlbox-native (the image layout), else
// mlbox-native beside this binary (a build tree). Throws Error(kConfig) saying how an image
// gets one (torch in mlbox.lock) when none is found.
NativeProgram locate_native_program(const EnvMap& env);

// The config as a JSON file mlbox-native reads: JSON passes through; YAML (.yaml / .yml) is
// checked against the manifest's YAML limits and converted into `scratch_dir`. Relative paths
// in it stay relative to the original file's folder (`base_dir`). Throws Error(kConfig) with
// file:line:col for a malformed YAML file.
struct NativeConfigFile {
  std::string json_path;
  std::string base_dir;
};
NativeConfigFile prepare_native_config(const std::string& path,
                                       const std::filesystem::path& scratch_dir);

}  // namespace mlbox::trainer
