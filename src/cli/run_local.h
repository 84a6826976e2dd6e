// Running the project's image on this machine, shared by `mlbox run` and `mlbox submit`
// when the target is local (the default when no cloud is configured).
#pragma once

#include <string>
#include <vector>

#include "cli/context.h"

namespace mlbox::cli {

struct RunFlags {
  std::string tag;
  std::string output;
  std::string data;
  std::string store;
  bool no_runc = false;
  bool detach = false;
  int max_attempts = 3;
  std::vector<std::string> env;
  std::vector<std::string> command;
};

// Runs (or with detach, starts) the job; throws Error(kJobFailed) when it does not succeed.
void run_local_job(Context& ctx, const RunFlags& flags);

}  // namespace mlbox::cli
