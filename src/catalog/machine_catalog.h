// The machine catalog (templates/machines.yaml): AWS instance types and GCP machine
// type + accelerator combinations with GPU model/count (none for CPU-only types), vCPUs,
// memory and prices in every region the type is sold in (list prices in the reference
// regions, the reference price marked estimated elsewhere). Used by `mlbox machines`, by machine
// selection and by the job submitters.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mlbox::catalog {

struct RegionPrice {
  std::string region;
  double on_demand = 0;        // USD/h, public list price
  std::optional<double> spot;  // USD/h, an average (spot prices move)
  bool estimated = false;      // the reference region's price: sold here, price not compiled
  bool live = false;           // from the price cache (`mlbox machines --refresh`)
};

struct Machine {
  std::string name;   // "g4dn.xlarge", "n1-standard-8", "a2-highgpu-1g"
  std::string cloud;  // "aws" | "gcp"
  std::string gpu;    // key of gpus: in cuda-matrix.yaml ("T4"); empty for CPU-only types
  int gpu_count = 0;
  int vcpu = 0;
  double memory_gib = 0;
  std::string accelerator_type;  // Vertex AcceleratorType enum name (gcp), empty for aws
  std::vector<RegionPrice> prices;

  const RegionPrice* price_in(std::string_view region) const;
};

struct MachineCatalog {
  std::string prices_as_of;  // "2024-06-01"
  // Per cloud, where its prices come from when the cache replaced them:
  // {"aws", "2026-12-03T15:00:00Z AWS Price List API ..."}; empty: all embedded.
  std::vector<std::pair<std::string, std::string>> live_sources;
  std::string regions_as_of;  // when the region tables were compiled
  std::vector<Machine> machines;

  // Every row with that name (a GCP machine type appears once per accelerator it carries).
  std::vector<const Machine*> lookup(std::string_view name) const;
  std::vector<std::string> clouds() const;
  std::vector<std::string> regions(std::string_view cloud = {}) const;  // sorted, unique
  std::vector<std::string> gpus() const;  // sorted, unique; CPU-only rows add none
};

// Throws Error(kConfig) naming `source_name`, line and column.
MachineCatalog parse_machine_catalog(std::string_view yaml_text, std::string_view source_name);
// templates/machines.yaml as compiled into mlbox, parsed once.
const MachineCatalog& builtin_machine_catalog();

// One machine in one region.
struct MachineOffer {
  const Machine* machine = nullptr;
  std::string region;
  double on_demand = 0;
  std::optional<double> spot;
  // The price that filters and sorts: spot when asked for (and known), else on-demand.
  bool estimated = false;
  bool live = false;  // the price came from the cache of a refresh
  double price(bool use_spot) const { return use_spot && spot ? *spot : on_demand; }
};

struct MachineFilter {
  std::string gpu;                  // any spelling: "T4", "nvidia-tesla-t4"; empty = any
  std::string cloud;                // "aws" | "gcp"; empty = both
  std::string region;               // empty = every region
  std::optional<double> max_price;  // USD/h (spot price under `spot`)
  bool spot = false;                // only offers with a spot price; compare/sort by it
  int min_gpu_count = 0;
  bool cpu_only = false;       // CPU-only types instead of GPU types
  bool with_estimated = true;  // include regions whose price is the reference's
};

// Offers matching the filter, cheapest first (by the filter's price, then name, region).
// Unknown cloud, region or GPU names throw Error(kUsage) listing the known ones.
std::vector<MachineOffer> filter_machines(const MachineCatalog& catalog,
                                          const MachineFilter& filter);

// The machine called `name`; `gpu` / `gpu_count` choose among GCP rows sharing a name
// (n1-standard-8 with a T4 or a V100; without a GPU asked for, the CPU-only row when there is
// one). Throws Error(kConfig) with a did-you-mean.
const Machine& find_machine(const MachineCatalog& catalog, std::string_view name,
                            std::string_view gpu = {}, int gpu_count = 0);

// Machines of `cloud` in `region` with at least `count` of `gpu`: the fewest GPUs first,
// then cheapest on-demand. Empty when none (the caller decides what that means).
std::vector<MachineOffer> find_machines_for_gpu(const MachineCatalog& catalog,
                                                std::string_view cloud, std::string_view gpu,
                                                int count, std::string_view region);

// What a job asks of its machine when it names none (SkyPilot's portable resources).
struct MachineRequest {
  std::string gpu;  // empty: a CPU-only machine
  int gpu_count = 0;
  int min_vcpu = 0;
  double min_memory_gib = 0;
};

// Machines of `cloud` in `region` meeting the request: the fewest GPUs first, then the
// cheapest on-demand. Empty when none.
std::vector<MachineOffer> find_machines_for_request(const MachineCatalog& catalog,
                                                    std::string_view cloud, std::string_view region,
                                                    const MachineRequest& request);

// Whether any machine of `cloud` offers `gpu` in `region`.
bool gpu_offered_in_region(const MachineCatalog& catalog, std::string_view cloud,
                           std::string_view gpu, std::string_view region);

}  // namespace mlbox::catalog
