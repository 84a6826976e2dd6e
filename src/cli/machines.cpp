// mlbox machines: the machine catalog (GPU types; --cpu for CPU-only ones), filtered and
// sorted by price. Without --region, the regions with compiled list prices; with it, every
// type sold there ("~": the reference region's price, not compiled for that region).
// Prices come from the cache `--refresh` writes (catalog/live_prices.h) where it has them,
// else from the embedded table; LIMIT / USED are the cached quotas, AVAILABILITY (--spot)
// the cached spot placement score (1-10).
#include <algorithm>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "backends/machine_prices_refresh.h"
#include "catalog/live_prices.h"
#include "catalog/machine_catalog.h"
#include "catalog/machine_quota.h"
#include "cli/commands.h"
#include "config/settings.h"
#include "util/error.h"
#include "util/strings.h"

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
  bool refresh = false;
  std::string sort = "price";
};

std::string money(double usd) {
  return fmt::format("${:.3f}", usd);
}

std::string memory(double gib) {
  return gib == static_cast<double>(static_cast<long long>(gib)) ? fmt::format("{:.0f} GiB", gib)
                                                                 : fmt::format("{:.1f} GiB", gib);
}

std::string number(double v) {
  return v == static_cast<double>(static_cast<long long>(v)) ? fmt::format("{:.0f}", v)
                                                             : fmt::format("{:.1f}", v);
}

// What the cache knows of one offer beyond its price.
struct OfferFacts {
  const catalog::Quota* quota = nullptr;
  std::optional<int> score;
};

// `gcp_project`: the project Vertex jobs go to; another project's cached quotas are not its.
OfferFacts facts(const catalog::PriceCache& cache, const catalog::MachineOffer& o, bool spot,
                 const std::string& gcp_project) {
  OfferFacts f;
  const auto& m = *o.machine;
  if (auto match = catalog::match_quota(cache, m, o.region, spot, 1,
                                        m.cloud == "gcp" ? gcp_project : std::string())) {
    f.quota = match->quota;
  }
  if (const auto* s = cache.cloud(m.cloud)) {
    for (const auto& sc : s->scores) {
      if (sc.machine == m.name && sc.region == o.region) f.score = sc.score;
    }
  }
  return f;
}

nlohmann::json offer_json(const catalog::MachineOffer& o, const OfferFacts& f) {
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
      {"price_source", o.live ? "live" : "embedded"},
      {"spot_availability", f.score ? nlohmann::json(*f.score) : nlohmann::json(nullptr)},
  };
  if (f.quota) {
    j["quota"] = {{"code", f.quota->code},
                  {"name", f.quota->name},
                  {"unit", f.quota->unit},
                  {"limit", f.quota->limit},
                  {"used", f.quota->used ? nlohmann::json(*f.quota->used) : nlohmann::json()},
                  {"raise_url", f.quota->raise_url}};
  }
  if (!m.accelerator_type.empty()) j["accelerator_type"] = m.accelerator_type;
  return j;
}

// Columns padded to their widest cell; numbers right-aligned; REGION last.
std::string render_table(const std::vector<catalog::MachineOffer>& offers,
                         const std::vector<OfferFacts>& facts, bool show_quota, bool show_score,
                         const std::vector<std::string>& live_clouds) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"MACHINE", "CLOUD",       "GPU",   "VCPU",
                                     "MEMORY",  "ON-DEMAND/H", "SPOT/H"};
  std::vector<bool> right = {false, false, false, true, true, true, true};
  if (show_score) {
    header.push_back("AVAILABILITY");
    right.push_back(true);
  }
  if (show_quota) {
    header.insert(header.end(), {"LIMIT", "USED"});
    right.insert(right.end(), {true, true});
  }
  header.push_back("REGION");
  right.push_back(false);
  rows.push_back(header);
  for (size_t i = 0; i < offers.size(); ++i) {
    const auto& o = offers[i];
    const auto& m = *o.machine;
    // "~": the reference region's price; "*": the embedded price of a cloud whose prices
    // were fetched (its API gave none for this machine and region).
    const bool cloud_live = std::any_of(live_clouds.begin(), live_clouds.end(),
                                        [&](const std::string& c) { return c == m.cloud; });
    const std::string mark = o.estimated ? "~" : (cloud_live && !o.live ? "*" : "");
    std::vector<std::string> row = {m.name,
                                    m.cloud,
                                    m.gpu.empty() ? "-" : fmt::format("{} x{}", m.gpu, m.gpu_count),
                                    std::to_string(m.vcpu),
                                    memory(m.memory_gib),
                                    mark + money(o.on_demand),
                                    o.spot ? mark + money(*o.spot) : "-"};
    if (show_score) row.push_back(facts[i].score ? fmt::format("{}/10", *facts[i].score) : "-");
    if (show_quota) {
      const auto* q = facts[i].quota;
      row.push_back(q ? fmt::format("{} {}", number(q->limit), q->unit) : "-");
      row.push_back(q && q->used ? number(*q->used) : "-");
    }
    row.push_back(o.region);
    rows.push_back(std::move(row));
  }
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

// Where the shown prices come from, per cloud.
std::string price_note(const catalog::MachineCatalog& catalog, const std::string& cloud_filter) {
  std::vector<std::string> parts;
  bool embedded = false;
  for (const char* cloud : {"aws", "gcp"}) {
    if (!cloud_filter.empty() && cloud_filter != cloud) continue;
    auto it = std::find_if(catalog.live_sources.begin(), catalog.live_sources.end(),
                           [&](const auto& s) { return s.first == cloud; });
    if (it != catalog.live_sources.end()) {
      parts.push_back(fmt::format("{}: fetched {}", cloud, it->second));
    } else {
      embedded = true;
    }
  }
  std::string note = "USD/hour";
  if (!parts.empty()) note += "; " + join(parts, "; ");
  if (embedded) {
    note += fmt::format(
        "; {}public list prices as of {} (embedded table; `mlbox machines --refresh` fetches "
        "today's)",
        parts.empty() ? "" : "others: ", catalog.prices_as_of);
  }
  if (!parts.empty()) note += "; *: the embedded price (the API gave none)";
  note += fmt::format(
      "; spot prices move; ~: the reference region's price (regions as of {}; sources in "
      "templates/machines.yaml)",
      catalog.regions_as_of);
  return note;
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
  cmd->add_flag("--refresh", opts->refresh,
                "Fetch today's prices, quotas and spot scores from the clouds' APIs (cached)");
  cmd->add_option("--sort", opts->sort, "Order: price (default) or availability (--spot)")
      ->check(CLI::IsMember({"price", "availability"}));
  cmd->callback([opts, &ctx] {
    const catalog::MachineCatalog* catalog = &catalog::machine_catalog();
    const catalog::PriceCache* cache = &catalog::price_cache();
    catalog::MachineCatalog refreshed_catalog;
    backends::PriceRefreshOutcome refreshed;
    // Quotas of the regions (and project) jobs go to by default.
    auto gcp = config::resolve_for_process(nullptr, {{"target", "vertex"}});
    if (opts->refresh) {
      backends::PriceRefreshRequest request{opts->cloud, opts->region, "", "", ""};
      auto aws = config::resolve_for_process(nullptr, {{"target", "batch"}});
      request.aws_region = aws.get("region");
      request.gcp_project = gcp.get("project");
      request.gcp_region = gcp.get("region");
      refreshed = backends::refresh_machine_prices(request, config::process_env(), ctx.observer());
      for (const auto& line : refreshed.fallbacks) ctx.observer().warn(line);
      if (refreshed.skipped > 0) {
        ctx.observer().warn(fmt::format(
            "{} price document(s) could not be read and were skipped (--verbose names them)",
            refreshed.skipped));
      }
      refreshed_catalog =
          catalog::overlay_prices(catalog::builtin_machine_catalog(), refreshed.cache);
      catalog = &refreshed_catalog;
      cache = &refreshed.cache;
    } else if (auto problem = catalog::price_cache_problem(); !problem.empty()) {
      ctx.observer().warn("price cache ignored: " + problem);
    }
    if (opts->sort == "availability" && !opts->spot) {
      throw Error(ErrorKind::kUsage, "--sort availability ranks spot capacity", "add --spot");
    }
    catalog::MachineFilter filter;
    filter.gpu = opts->gpu;
    filter.cloud = opts->cloud;
    filter.region = opts->region;
    if (opts->max_price >= 0) filter.max_price = opts->max_price;
    filter.min_gpu_count = opts->min_gpus;
    filter.spot = opts->spot;
    filter.cpu_only = opts->cpu;
    filter.with_estimated = !opts->region.empty();  // every region: only compiled prices
    auto offers = catalog::filter_machines(*catalog, filter);
    std::vector<OfferFacts> offer_facts;
    for (const auto& o : offers) {
      offer_facts.push_back(facts(*cache, o, opts->spot, gcp.get("project")));
    }
    if (opts->sort == "availability") {
      std::vector<size_t> order(offers.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return offer_facts[a].score.value_or(0) > offer_facts[b].score.value_or(0);
      });
      std::vector<catalog::MachineOffer> o2;
      std::vector<OfferFacts> f2;
      for (size_t i : order) {
        o2.push_back(offers[i]);
        f2.push_back(offer_facts[i]);
      }
      offers = std::move(o2);
      offer_facts = std::move(f2);
    }

    if (ctx.options.json) {
      nlohmann::json out = nlohmann::json::array();
      for (size_t i = 0; i < offers.size(); ++i)
        out.push_back(offer_json(offers[i], offer_facts[i]));
      ctx.print_json(out);
      return;
    }
    bool show_quota = std::any_of(offer_facts.begin(), offer_facts.end(),
                                  [](const OfferFacts& f) { return f.quota != nullptr; });
    if (offers.empty()) {
      ctx.print("no machine matches those filters");
    } else {
      std::vector<std::string> live_clouds;
      for (const auto& [cloud, source] : catalog->live_sources) live_clouds.push_back(cloud);
      ctx.print(render_table(offers, offer_facts, show_quota, opts->spot, live_clouds));
    }
    ctx.observer().info(price_note(*catalog, opts->cloud));
  });
}

}  // namespace mlbox::cli
