// The flags of `mlbox submit`, shared by the files that carry it out.
#pragma once

#include <string>
#include <vector>

#include "cli/project_build.h"

namespace mlbox::cli {

struct SubmitFlags {
  std::string target, region, machine, gpu, cpus, memory, nodes, max_runtime, output, project,
      job_queue;
  bool spot = false;
  bool follow = false;
  bool dry_run = false;
  bool no_build = false;
  std::string image;
  std::string tag;
  std::vector<std::string> env;
  std::vector<std::string> command;
  BuildFlags build;
};

}  // namespace mlbox::cli
