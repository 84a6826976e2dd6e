// Building the project's image into .mlbox/oci, shared by `mlbox build` and `mlbox submit`
// (which builds what the working tree holds before it pushes, so stale code never goes to
// the cloud). Incremental: an unchanged deps layer is reused, a code change rebuilds the
// code layer only.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "builder/build_result.h"
#include "cli/context.h"
#include "cli/registry_flags.h"

namespace mlbox::cli {

struct BuildFlags {
  std::string tag = "latest";
  std::string compression = "gzip";
  int level = -1;
  unsigned threads = 0;
  std::string trainer;
  std::string builder = "native";
  std::vector<std::string> find_links;
  bool no_index = false;
  std::string index_url;
  std::string python = "python3";
  std::string platform = "linux/amd64";
  // submit: a lock frozen from other inputs than the tree's is an error, not a warning.
  bool refuse_stale_lock = false;
  RegistryFlags registry;
};

// The flags `build` has and `submit` passes through to its build (the tag and the registry
// flags are each command's own).
void add_build_flags(CLI::App* cmd, BuildFlags& flags);

builder::BuildResult build_project(Context& ctx, const BuildFlags& flags);

}  // namespace mlbox::cli
