// `mlbox freeze`: manifest -> base selection -> resolved pins -> mlbox.lock (atomically).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/events.h"
#include "freeze/lock.h"
#include "freeze/resolver.h"
#include "manifest/manifest.h"
#include "util/process.h"

namespace mlbox::freeze {

struct FreezeOptions {
  std::string python_exe = "python3";
  std::vector<std::string> find_links;
  bool no_index = false;
  std::string index_url;
  ResolveOptions::Resolver resolver = ResolveOptions::Resolver::kAuto;
};

// The requirement list the lock is resolved from: the manifest's requirements file or
// packages, plus the framework pinned at the matrix's version when the user did not
// name it (as cog does).
ResolveOptions resolve_options_for(const manifest::Manifest& m, const FreezeOptions& o,
                                   const std::string& framework_version,
                                   const std::string& torch_index_url);

// What the project asks to have installed, before any resolution: python.packages, the lines
// of python.requirements, and the framework's package when framework.name names one. Empty
// when the image needs no lock. Throws Error(kConfig) when the requirements file is missing.
std::vector<std::string> declared_requirements(const manifest::Manifest& m);

// Digest over everything the lock depends on; a lock whose inputs-digest differs is stale.
std::string inputs_digest(const manifest::Manifest& m, const ResolveOptions& r);

// Resolves and returns the lock (does not write it).
Lock freeze_project(const manifest::Manifest& m, const FreezeOptions& o, CommandRunner& runner,
                    Observer& observer);

}  // namespace mlbox::freeze
