// mlbox machines: the machine catalog (GPU types; --cpu for CPU-only ones), filtered and
// sorted by price. Without --region, the regions with compiled list prices; with it, every
// type sold there ("~": the reference region's price, not compiled for that region).
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "catalog/machine_catalog.h"
#include "cli/commands.h"

namespace mlbox::cli {

namespace {

struct MachinesOptions {
  std::string gpu;
  std::string cloud;
  std::string region;
  double max_price = -1;  // < 0: no limit
  int min_gpus = 0;
  bool spot = false;
  bool cpu = false;
};

std::string money(double usd) {
  return fmt::format("${:.3f}", usd);
}

std::string memory(double gib) {
  return gib == static_cast<double>(static_cast<long long>(gib)) ? fmt::format("{:.0f} GiB", gib)
                                                                 : fmt::format("{:.1f} GiB", gib);
}

nlohmann::json offer_json(const catalog::MachineOffer& o) {
  const auto& m = *o.machine;
  nlohmann::json j = {
      {"machine", m.name},
      {"cloud", m.cloud},
      {"gpu", m.gpu},
      {"gpu_count", m.gpu_count},
      {"vcpu", m.vcpu},
      {"memory_gib", m.memory_gib},
      {"region", o.region},
      {"on_demand_usd_per_hour", o.on_demand},
      {"spot_usd_per_hour", o.spot ? nlohmann::json(*o.spot) : nlohmann::json(nullptr)},
      {"price_estimated", o.estimated},
  };
  if (!m.accelerator_type.empty()) j["accelerator_type"] = m.accelerator_type;
  return j;
}

// Columns padded to their widest cell; numbers right-aligned.
std::string render_table(const std::vector<catalog::MachineOffer>& offers) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"MACHINE", "CLOUD", "GPU", "VCPU", "MEMORY", "ON-DEMAND/H", "SPOT/H", "REGION"});
  for (const auto& o : offers) {
    const auto& m = *o.machine;
    const std::string mark = o.estimated ? "~" : "";
    rows.push_back({m.name, m.cloud,
                    m.gpu.empty() ? "-" : fmt::format("{} x{}", m.gpu, m.gpu_count),
                    std::to_string(m.vcpu), memory(m.memory_gib), mark + money(o.on_demand),
                    o.spot ? mark + money(*o.spot) : "-", o.region});
  }
  const std::vector<bool> right = {false, false, false, true, true, true, true, false};
  std::vector<size_t> width(right.size(), 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      if (i) line += "  ";
      line += right[i] ? fmt::format("{:>{}}", r[i], width[i])
                       : (i + 1 == r.size() ? r[i] : fmt::format("{:<{}}", r[i], width[i]));
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

void set_machines_command(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<MachinesOptions>();
  auto* cmd =
      app.add_subcommand("machines", "List machine types with prices (GPU; --cpu: CPU-only)");
  cmd->add_option("--gpu", opts->gpu, "Only this GPU model (T4, V100, A10G, L4, A100, H100, ...)");
  cmd->add_option("--cloud", opts->cloud, "Only this cloud")->check(CLI::IsMember({"aws", "gcp"}));
  cmd->add_option("--region", opts->region, "Only this region (us-east-1, us-central1, ...)");
  cmd->add_option("--max-price", opts->max_price, "Only machines at most this USD/hour")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--min-gpus", opts->min_gpus, "Only machines with at least this many GPUs")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--spot", opts->spot, "Spot prices: only machines with one, filter and sort by it");
  cmd->add_flag("--cpu", opts->cpu, "CPU-only machine types instead of GPU ones");
  cmd->callback([opts, &ctx] {
    const auto& catalog = catalog::builtin_machine_catalog();
    catalog::MachineFilter filter;
    filter.gpu = opts->gpu;
    filter.cloud = opts->cloud;
    filter.region = opts->region;
    if (opts->max_price >= 0) filter.max_price = opts->max_price;
    filter.min_gpu_count = opts->min_gpus;
    filter.spot = opts->spot;
    filter.cpu_only = opts->cpu;
    filter.with_estimated = !opts->region.empty();  // every region: only compiled prices
    auto offers = catalog::filter_machines(catalog, filter);

    if (ctx.options.json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& o : offers) out.push_back(offer_json(o));
      ctx.print_json(out);
      return;
    }
    if (offers.empty()) {
      ctx.print("no machine matches those filters");
    } else {
      ctx.print(render_table(offers));
    }
    ctx.observer().info(fmt::format(
        "USD/hour, public list prices as of {}; spot prices are averages and move; ~: the "
        "reference region's price (regions as of {}; sources in templates/machines.yaml)",
        catalog.prices_as_of, catalog.regions_as_of));
  });
}

}  // namespace mlbox::cli
