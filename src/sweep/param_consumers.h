// Before anything is submitted: every parameter of a sweep must reach something that reads
// it. Deliveries left at "default" become `config` for a native-mode project and `args`
// otherwise; then
//   config  the native config (train.native) has the key: the dotted `key`, or the one key
//           anywhere in it named like the parameter (which becomes the parameter's key)
//   args    the training command is not native mode, and a file of the project it names
//           (train.py of `python train.py`) says `--name`
//   env     a file of the project says MLBOX_PARAM_<NAME>
// One Error(kConfig) (exit 3) lists every parameter nothing consumes, with what to do.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "manifest/sweep_spec.h"

namespace mlbox::sweep {

struct ProjectFacts {
  const manifest::Manifest* manifest = nullptr;  // may be null (no mlbox.yaml)
  std::vector<std::string> command;              // the command that will run (empty: train's)
  std::filesystem::path project_dir;
};

void resolve_param_consumers(std::vector<manifest::SweepParam>& params, const ProjectFacts& facts);

}  // namespace mlbox::sweep
