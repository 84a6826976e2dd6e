// The project manifest, mlbox.yaml, as a validated C++ value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifest/sweep_spec.h"

namespace mlbox::manifest {

// A position in a source file, 1-based; line 0 = unknown.
struct Mark {
  int line = 0;
  int col = 0;
};

struct PythonSpec {
  std::string version = "3.11";       // "3.10", "3.11", ...
  std::string requirements;           // path relative to the project, e.g. requirements.txt
  std::vector<std::string> packages;  // inline requirement specifiers
};

struct FrameworkSpec {
  std::string name = "none";  // pytorch | tensorflow | none
  std::string version;        // "2.3.1", "2.15"; empty = newest in the matrix
};

struct TrainSpec {
  std::vector<std::string> command;      // exec form; a YAML string is split shell-like
  std::optional<nlohmann::json> native;  // native-mode trainer config (see trainer/)
};

struct ImageSpec {
  std::string repository;  // e.g. us-docker.pkg.dev/p/r/name; empty = local
  std::string base;        // registry ref, oci:PATH[:TAG], docker-archive:PATH
};

struct ContextSpec {
  std::vector<std::string> include;  // default: everything
  std::vector<std::string> exclude;
  std::vector<std::string> allow_secrets;
};

struct GpuRequest {
  std::string type;  // "T4", "A100", ... empty = no GPU
  int count = 0;
};

struct ResourcesSpec {
  std::string machine;    // "g4dn.xlarge", "n1-standard-8", ...
  GpuRequest gpu;         // from "T4:1"
  int cpus = 0;           // at least this many vCPUs; 0 = any
  double memory_gib = 0;  // at least this much memory; 0 = any
  bool spot = false;
  int nodes = 1;
  int64_t max_runtime_seconds = 0;  // from "2h", "90m", "3600", 0 = none
};

struct VertexTarget {
  std::string project, region, output, service_account;
  std::string machine;  // pinned for this target; wins over resources.machine
};
struct BatchTarget {
  std::string region, job_queue, job_role_arn, output;
  std::string machine;  // pinned for this target; wins over resources.machine
};
struct LocalTarget {
  std::string output;
};
struct Targets {
  std::optional<VertexTarget> vertex;
  std::optional<BatchTarget> batch;
  std::optional<LocalTarget> local;
};

struct Manifest {
  std::filesystem::path path;  // the mlbox.yaml this came from
  std::string name;
  PythonSpec python;
  FrameworkSpec framework;
  std::string cuda;  // "12.1"; empty = chosen from the matrix
  std::vector<std::string> system_packages;
  TrainSpec train;
  ImageSpec image;
  ContextSpec context;
  std::map<std::string, std::string> data;  // name -> local path or gs:// / s3:// URI
  ResourcesSpec resources;
  Targets targets;
  std::optional<SweepSpec> sweep;  // `sweep:`; `mlbox sweep` flags replace or extend it
  // Where each key was written, by dotted path ("resources.gpu", "train.command").
  std::map<std::string, Mark> marks;

  // "mlbox.yaml:LINE:COL" for a dotted key, or just the file name when unknown.
  std::string where(const std::string& key) const;
};

}  // namespace mlbox::manifest
