// Starting a sweep, whatever the engine: the spec from mlbox.yaml's `sweep:` with the command
// line's flags over it, checked as a whole; the record with every trial planned (grid or
// random; an engine with its own search plans nothing); and, for the local engine, each trial's
// job and how many may run at once on this machine.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "jobs/job_spec.h"
#include "manifest/sweep_spec.h"
#include "sweep/sweep_record.h"

namespace mlbox::sweep {

// `mlbox sweep` flags; unset ones leave the manifest's value.
struct SweepOverrides {
  std::vector<std::string> params;  // --param NAME=..., replace the manifest's parameters
  std::string metric;
  std::string goal;
  std::string algorithm;
  std::string deliver;  // for the --param parameters
  std::optional<int> max_trials;
  std::optional<int> parallel;
  std::optional<uint64_t> seed;
  std::string early_stopping;  // "median" | "none"
};

// Error(kUsage) for a bad flag; Error(kConfig) for a spec that cannot run (no parameters, no
// metric), naming where to add what is missing.
manifest::SweepSpec merge_sweep_spec(const std::optional<manifest::SweepSpec>& from_manifest,
                                     const SweepOverrides& flags);

// Trials PENDING with their planned values; an engine that searches itself (`engine_plans`)
// gets max_trials trials without values.
SweepRecord plan_sweep(const manifest::SweepSpec& spec, const std::string& name,
                       const std::string& backend, const std::string& output_root,
                       bool engine_plans);

// How many local trials at once: --parallel, at most the CPUs, and one per GPU when the
// training uses GPUs (a GPU serves one trial at a time).
int local_slots(int parallel, unsigned cpus, int gpus, bool uses_gpu);
// GPUs of this machine (/dev/nvidia0, /dev/nvidia1, ...).
int gpus_here();

struct LocalTrialImage {
  std::string store;  // the project's OCI layout
  std::string tag;
  std::vector<std::string> command;  // empty: the image's
  std::vector<std::string> env;      // KEY=value from --env
  bool uses_gpu = false;
};

// A local trial's job: the image, output <sweep output>/<trial>, the trial's assignment in
// MLBOX_SWEEP_TRIAL, and with GPUs, CUDA_VISIBLE_DEVICES=<slot>.
jobs::JobSpec local_trial_spec(const SweepRecord& sweep, const TrialRecord& trial,
                               const LocalTrialImage& image, int slot);

}  // namespace mlbox::sweep
