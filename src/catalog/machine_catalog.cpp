#include "catalog/machine_catalog.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/embedded.h"
#include "dockerfile/cuda_matrix.h"
#include "util/error.h"
#include "util/strings.h"

namespace mlbox::catalog {

namespace {

using dockerfile::normalize_gpu_name;

[[noreturn]] void fail_at(std::string_view source, const YAML::Mark& mark,
                          const std::string& what) {
  throw Error(ErrorKind::kConfig,
              fmt::format("{}:{}:{}: {}", source, mark.line + 1, mark.column + 1, what));
}

Machine read_machine(std::string_view source, const YAML::Node& n) {
  if (!n.IsMap()) fail_at(source, n.Mark(), "a machine must be a mapping");
  auto need = [&](const char* key) {
    YAML::Node v = n[key];
    if (!v || !v.IsScalar()) fail_at(source, n.Mark(), fmt::format("machine: missing '{}'", key));
    return v;
  };
  Machine m;
  try {
    m.name = need("name").as<std::string>();
    m.cloud = need("cloud").as<std::string>();
    if (n["gpu"] && !n["gpu"].IsNull()) m.gpu = need("gpu").as<std::string>();
    m.gpu_count = need("gpu_count").as<int>();
    m.vcpu = need("vcpu").as<int>();
    m.memory_gib = need("memory_gib").as<double>();
    if (n["accelerator_type"]) m.accelerator_type = n["accelerator_type"].as<std::string>();
    YAML::Node prices = n["prices"];
    if (!prices || !prices.IsMap()) fail_at(source, n.Mark(), m.name + ": missing prices");
    for (const auto& kv : prices) {
      RegionPrice p;
      p.region = kv.first.as<std::string>();
      if (!kv.second["on_demand"]) {
        fail_at(source, kv.second.Mark(), m.name + " " + p.region + ": missing on_demand");
      }
      p.on_demand = kv.second["on_demand"].as<double>();
      if (kv.second["spot"]) p.spot = kv.second["spot"].as<double>();
      if (kv.second["estimated"]) p.estimated = kv.second["estimated"].as<bool>();
      m.prices.push_back(std::move(p));
    }
  } catch (const YAML::Exception& e) {
    fail_at(source, e.mark, e.msg);
  }
  if (m.gpu.empty() != (m.gpu_count == 0)) {
    fail_at(source, n.Mark(),
            fmt::format("{}: gpu and gpu_count must be both set or both empty (CPU-only)", m.name));
  }
  if (m.cloud != "aws" && m.cloud != "gcp") {
    fail_at(source, n.Mark(),
            fmt::format("{}: cloud must be aws or gcp, not '{}'", m.name, m.cloud));
  }
  return m;
}

bool gpu_matches(const Machine& m, const std::string& want_token) {
  return want_token.empty() || normalize_gpu_name(m.gpu) == want_token ||
         (!m.accelerator_type.empty() && normalize_gpu_name(m.accelerator_type) == want_token);
}

[[noreturn]] void unknown(ErrorKind kind, const std::string& what, std::string_view name,
                          const std::vector<std::string>& known) {
  auto near = did_you_mean(to_lower(name), known);
  throw Error(kind, fmt::format("unknown {} '{}'; known: {}", what, name, join(known, ", ")),
              near ? fmt::format("did you mean '{}'?", *near) : std::string());
}

}  // namespace

const RegionPrice* Machine::price_in(std::string_view region) const {
  for (const auto& p : prices) {
    if (p.region == region) return &p;
  }
  return nullptr;
}

std::vector<const Machine*> MachineCatalog::lookup(std::string_view name) const {
  std::vector<const Machine*> out;
  for (const auto& m : machines) {
    if (m.name == name) out.push_back(&m);
  }
  return out;
}

std::vector<std::string> MachineCatalog::clouds() const {
  std::set<std::string> s;
  for (const auto& m : machines) s.insert(m.cloud);
  return {s.begin(), s.end()};
}

std::vector<std::string> MachineCatalog::regions(std::string_view cloud) const {
  std::set<std::string> s;
  for (const auto& m : machines) {
    if (!cloud.empty() && m.cloud != cloud) continue;
    for (const auto& p : m.prices) s.insert(p.region);
  }
  return {s.begin(), s.end()};
}

std::vector<std::string> MachineCatalog::gpus() const {
  std::set<std::string> s;
  for (const auto& m : machines) {
    if (!m.gpu.empty()) s.insert(m.gpu);
  }
  return {s.begin(), s.end()};
}

MachineCatalog parse_machine_catalog(std::string_view yaml_text, std::string_view source_name) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    fail_at(source_name, e.mark, "invalid YAML: " + e.msg);
  }
  if (!root.IsMap() || !root["machines"] || !root["machines"].IsSequence()) {
    fail_at(source_name, root.Mark(), "expected a mapping with a 'machines' list");
  }
  MachineCatalog c;
  if (root["prices_as_of"]) c.prices_as_of = root["prices_as_of"].as<std::string>();
  if (root["regions_as_of"]) c.regions_as_of = root["regions_as_of"].as<std::string>();
  for (const auto& n : root["machines"]) c.machines.push_back(read_machine(source_name, n));
  return c;
}

const MachineCatalog& builtin_machine_catalog() {
  static const MachineCatalog catalog =
      parse_machine_catalog(load_template("machines.yaml"), "templates/machines.yaml");
  return catalog;
}

std::vector<MachineOffer> filter_machines(const MachineCatalog& catalog, const MachineFilter& f) {
  if (!f.cloud.empty()) {
    auto clouds = catalog.clouds();
    if (std::find(clouds.begin(), clouds.end(), f.cloud) == clouds.end()) {
      unknown(ErrorKind::kUsage, "cloud", f.cloud, clouds);
    }
  }
  if (!f.region.empty()) {
    auto regions = catalog.regions(f.cloud);
    if (std::find(regions.begin(), regions.end(), f.region) == regions.end()) {
      unknown(ErrorKind::kUsage, f.cloud.empty() ? "region" : f.cloud + " region", f.region,
              regions);
    }
  }
  std::string want_gpu = normalize_gpu_name(f.gpu);
  if (!want_gpu.empty()) {
    bool known = std::any_of(catalog.machines.begin(), catalog.machines.end(),
                             [&](const Machine& m) { return gpu_matches(m, want_gpu); });
    if (!known) unknown(ErrorKind::kUsage, "GPU", f.gpu, catalog.gpus());
  }

  std::vector<MachineOffer> out;
  for (const auto& m : catalog.machines) {
    if (!f.cloud.empty() && m.cloud != f.cloud) continue;
    if (!gpu_matches(m, want_gpu)) continue;
    if (m.gpu_count < f.min_gpu_count) continue;
    if (f.cpu_only != (m.gpu_count == 0)) continue;
    for (const auto& p : m.prices) {
      if (!f.region.empty() && p.region != f.region) continue;
      if (f.spot && !p.spot) continue;
      if (!f.with_estimated && p.estimated) continue;
      MachineOffer o{&m, p.region, p.on_demand, p.spot, p.estimated, p.live};
      if (f.max_price && o.price(f.spot) > *f.max_price) continue;
      out.push_back(o);
    }
  }
  std::stable_sort(out.begin(), out.end(), [&](const MachineOffer& a, const MachineOffer& b) {
    if (a.price(f.spot) != b.price(f.spot)) return a.price(f.spot) < b.price(f.spot);
    if (a.machine->name != b.machine->name) return a.machine->name < b.machine->name;
    return a.region < b.region;
  });
  return out;
}

const Machine& find_machine(const MachineCatalog& catalog, std::string_view name,
                            std::string_view gpu, int gpu_count) {
  auto rows = catalog.lookup(name);
  if (rows.empty()) {
    std::set<std::string> names;
    for (const auto& m : catalog.machines) names.insert(m.name);
    unknown(ErrorKind::kConfig, "machine type", name, {names.begin(), names.end()});
  }
  std::string want_gpu = normalize_gpu_name(gpu);
  const Machine* best = nullptr;
  for (const Machine* m : rows) {
    if (!gpu_matches(*m, want_gpu)) continue;
    if (gpu_count > 0 && m->gpu_count != gpu_count) continue;
    if (!best || (want_gpu.empty() && m->gpu_count == 0 && best->gpu_count > 0)) best = m;
  }
  if (!best) {
    std::vector<std::string> offered;
    for (const Machine* m : rows) offered.push_back(fmt::format("{} x{}", m->gpu, m->gpu_count));
    throw Error(ErrorKind::kConfig,
                fmt::format("{} is not offered with {}{}; it comes with {}", name,
                            gpu.empty() ? "that GPU" : std::string(gpu),
                            gpu_count > 0 ? fmt::format(" x{}", gpu_count) : std::string(),
                            join(offered, ", ")),
                "change resources.gpu in mlbox.yaml, or see `mlbox machines`");
  }
  return *best;
}

std::vector<MachineOffer> find_machines_for_gpu(const MachineCatalog& catalog,
                                                std::string_view cloud, std::string_view gpu,
                                                int count, std::string_view region) {
  std::string want_gpu = normalize_gpu_name(gpu);
  std::vector<MachineOffer> out;
  for (const auto& m : catalog.machines) {
    if (m.cloud != cloud || !gpu_matches(m, want_gpu) || m.gpu_count < count) continue;
    if (const RegionPrice* p = m.price_in(region)) {
      out.push_back(MachineOffer{&m, p->region, p->on_demand, p->spot, p->estimated, p->live});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const MachineOffer& a, const MachineOffer& b) {
    if (a.machine->gpu_count != b.machine->gpu_count) {
      return a.machine->gpu_count < b.machine->gpu_count;
    }
    return a.on_demand < b.on_demand;
  });
  return out;
}

std::vector<MachineOffer> find_machines_for_request(const MachineCatalog& catalog,
                                                    std::string_view cloud, std::string_view region,
                                                    const MachineRequest& r) {
  std::vector<MachineOffer> out;
  if (!r.gpu.empty()) {
    out = find_machines_for_gpu(catalog, cloud, r.gpu, std::max(r.gpu_count, 1), region);
  } else {
    for (const auto& m : catalog.machines) {
      if (m.cloud != cloud || m.gpu_count != 0) continue;
      if (const RegionPrice* p = m.price_in(region)) {
        out.push_back(MachineOffer{&m, p->region, p->on_demand, p->spot, p->estimated, p->live});
      }
    }
  }
  std::erase_if(out, [&](const MachineOffer& o) {
    return o.machine->vcpu < r.min_vcpu || o.machine->memory_gib < r.min_memory_gib;
  });
  std::stable_sort(out.begin(), out.end(), [](const MachineOffer& a, const MachineOffer& b) {
    if (a.machine->gpu_count != b.machine->gpu_count) {
      return a.machine->gpu_count < b.machine->gpu_count;
    }
    return a.on_demand < b.on_demand;
  });
  return out;
}

bool gpu_offered_in_region(const MachineCatalog& catalog, std::string_view cloud,
                           std::string_view gpu, std::string_view region) {
  std::string want_gpu = normalize_gpu_name(gpu);
  return std::any_of(catalog.machines.begin(), catalog.machines.end(), [&](const Machine& m) {
    return m.cloud == cloud && gpu_matches(m, want_gpu) && m.price_in(region) != nullptr;
  });
}

}  // namespace mlbox::catalog
