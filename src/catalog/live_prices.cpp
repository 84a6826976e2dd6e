#include "catalog/live_prices.h"

#include <map>
#include <mutex>
#include <tuple>

#include <fmt/format.h>

#include "util/error.h"
#include "util/fs.h"

namespace mlbox::catalog {

namespace {

using nlohmann::json;

json optional_number(const std::optional<double>& v) {
  return v ? json(*v) : json(nullptr);
}

json snapshot_json(const CloudSnapshot& s) {
  json prices = json::array(), quotas = json::array(), scores = json::array();
  for (const auto& p : s.prices) {
    prices.push_back({{"machine", p.machine},
                      {"gpu", p.gpu},
                      {"gpu_count", p.gpu_count},
                      {"region", p.region},
                      {"on_demand", optional_number(p.on_demand)},
                      {"spot", optional_number(p.spot)}});
  }
  for (const auto& q : s.quotas) {
    json jq = {{"region", q.region},      {"code", q.code},   {"name", q.name},
               {"unit", q.unit},          {"limit", q.limit}, {"used", optional_number(q.used)},
               {"raise_url", q.raise_url}};
    if (!q.project.empty()) jq["project"] = q.project;
    quotas.push_back(std::move(jq));
  }
  for (const auto& sc : s.scores) {
    scores.push_back({{"machine", sc.machine}, {"region", sc.region}, {"score", sc.score}});
  }
  return {{"fetched_at", s.fetched_at}, {"source", s.source}, {"skipped", s.skipped},
          {"prices", prices},           {"quotas", quotas},   {"spot_scores", scores}};
}

// Reads a JSON value with its path in errors (STYLE: convert at the boundary).
class Reader {
 public:
  Reader(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw Error(ErrorKind::kConfig, fmt::format("{}: {}: {}", source_, path, what),
                "delete it, or run `mlbox machines --refresh` to write it again");
  }
  const json& member(const json& obj, const std::string& path, const char* key) const {
    if (!obj.is_object() || !obj.contains(key)) fail(path, fmt::format("missing '{}'", key));
    return obj.at(key);
  }
  std::string str(const json& obj, const std::string& path, const char* key) const {
    const json& v = member(obj, path, key);
    if (!v.is_string()) fail(path + "." + key, "expected a string");
    return v.get<std::string>();
  }
  double number(const json& obj, const std::string& path, const char* key) const {
    const json& v = member(obj, path, key);
    if (!v.is_number()) fail(path + "." + key, "expected a number");
    return v.get<double>();
  }
  int integer(const json& obj, const std::string& path, const char* key) const {
    const json& v = member(obj, path, key);
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 1'000'000) {
      fail(path + "." + key, "expected a count");
    }
    return static_cast<int>(v.get<int64_t>());
  }
  std::optional<double> maybe_number(const json& obj, const std::string& path,
                                     const char* key) const {
    if (!obj.contains(key) || obj.at(key).is_null()) return std::nullopt;
    return number(obj, path, key);
  }
  const json& array(const json& obj, const std::string& path, const char* key) const {
    const json& v = member(obj, path, key);
    if (!v.is_array()) fail(path + "." + key, "expected an array");
    return v;
  }

 private:
  std::string_view source_;
};

CloudSnapshot snapshot_from_json(const json& j, const std::string& cloud, const Reader& r) {
  std::string path = "$." + cloud;
  CloudSnapshot s;
  s.fetched_at = r.str(j, path, "fetched_at");
  s.source = r.str(j, path, "source");
  s.skipped = r.integer(j, path, "skipped");
  const json& prices = r.array(j, path, "prices");
  for (size_t i = 0; i < prices.size(); ++i) {
    std::string at = fmt::format("{}.prices[{}]", path, i);
    LivePrice p;
    p.cloud = cloud;
    p.machine = r.str(prices[i], at, "machine");
    p.gpu = r.str(prices[i], at, "gpu");
    p.gpu_count = r.integer(prices[i], at, "gpu_count");
    p.region = r.str(prices[i], at, "region");
    p.on_demand = r.maybe_number(prices[i], at, "on_demand");
    p.spot = r.maybe_number(prices[i], at, "spot");
    s.prices.push_back(std::move(p));
  }
  const json& quotas = r.array(j, path, "quotas");
  for (size_t i = 0; i < quotas.size(); ++i) {
    std::string at = fmt::format("{}.quotas[{}]", path, i);
    Quota q;
    q.cloud = cloud;
    q.region = r.str(quotas[i], at, "region");
    q.code = r.str(quotas[i], at, "code");
    q.name = r.str(quotas[i], at, "name");
    q.unit = r.str(quotas[i], at, "unit");
    q.limit = r.number(quotas[i], at, "limit");
    q.used = r.maybe_number(quotas[i], at, "used");
    q.raise_url = r.str(quotas[i], at, "raise_url");
    if (quotas[i].contains("project")) q.project = r.str(quotas[i], at, "project");
    s.quotas.push_back(std::move(q));
  }
  const json& scores = r.array(j, path, "spot_scores");
  for (size_t i = 0; i < scores.size(); ++i) {
    std::string at = fmt::format("{}.spot_scores[{}]", path, i);
    s.scores.push_back(SpotScore{r.str(scores[i], at, "machine"), r.str(scores[i], at, "region"),
                                 r.integer(scores[i], at, "score")});
  }
  return s;
}

struct Loaded {
  PriceCache cache;
  std::string problem;
  MachineCatalog catalog;
};

const Loaded& loaded() {
  static const Loaded l = [] {
    Loaded out;
    try {
      if (auto c = load_price_cache(default_price_cache_path())) out.cache = std::move(*c);
    } catch (const Error& e) {
      out.problem = e.what();
    }
    out.catalog = overlay_prices(builtin_machine_catalog(), out.cache);
    return out;
  }();
  return l;
}

}  // namespace

const CloudSnapshot* PriceCache::cloud(std::string_view name) const {
  if (name == "aws") return aws ? &*aws : nullptr;
  if (name == "gcp") return gcp ? &*gcp : nullptr;
  return nullptr;
}

nlohmann::json to_json(const PriceCache& cache) {
  json j = {{"schema", 1}};
  if (cache.aws) j["aws"] = snapshot_json(*cache.aws);
  if (cache.gcp) j["gcp"] = snapshot_json(*cache.gcp);
  return j;
}

PriceCache price_cache_from_json(const nlohmann::json& j, std::string_view source) {
  Reader r(source);
  if (!j.is_object()) r.fail("$", "expected an object");
  if (!j.contains("schema") || j["schema"] != 1) r.fail("$.schema", "expected 1");
  PriceCache c;
  if (j.contains("aws")) c.aws = snapshot_from_json(j["aws"], "aws", r);
  if (j.contains("gcp")) c.gcp = snapshot_from_json(j["gcp"], "gcp", r);
  return c;
}

std::filesystem::path default_price_cache_path() {
  return fs::mlbox_home() / "prices" / "machines.json";
}

std::optional<PriceCache> load_price_cache(const std::filesystem::path& path) {
  std::string text;
  if (!fs::read_file_if_exists(path, text)) return std::nullopt;
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    throw Error(ErrorKind::kConfig, fmt::format("{}: not JSON", path.string()),
                "delete it, or run `mlbox machines --refresh` to write it again");
  }
  return price_cache_from_json(j, path.string());
}

void save_price_cache(const std::filesystem::path& path, const PriceCache& cache) {
  std::filesystem::create_directories(path.parent_path());
  fs::write_file_atomic(path, to_json(cache).dump(1) + "\n");
}

MachineCatalog overlay_prices(const MachineCatalog& base, const PriceCache& cache) {
  MachineCatalog out = base;
  for (const char* cloud : {"aws", "gcp"}) {
    const CloudSnapshot* s = cache.cloud(cloud);
    if (!s || s->prices.empty()) continue;
    out.live_sources.emplace_back(cloud, fmt::format("{} ({})", s->fetched_at, s->source));
    // (machine, gpu, gpu_count, region) -> price; AWS rows match on the name alone.
    std::map<std::tuple<std::string, std::string, int, std::string>, const LivePrice*> by_key;
    for (const auto& p : s->prices) by_key[{p.machine, p.gpu, p.gpu_count, p.region}] = &p;
    for (auto& m : out.machines) {
      if (m.cloud != cloud) continue;
      std::string gpu = m.cloud == "aws" ? "" : m.gpu;
      int count = m.cloud == "aws" ? 0 : m.gpu_count;
      for (auto& rp : m.prices) {
        auto it = by_key.find({m.name, gpu, count, rp.region});
        if (it == by_key.end() || !it->second->on_demand) continue;
        rp.on_demand = *it->second->on_demand;
        // A live on-demand price with no live spot price: the embedded spot figure would
        // mix dates, and spot may not be sold there now.
        rp.spot = it->second->spot;
        rp.estimated = false;
        rp.live = true;
      }
    }
  }
  return out;
}

const MachineCatalog& machine_catalog() {
  return loaded().catalog;
}
const PriceCache& price_cache() {
  return loaded().cache;
}
std::string price_cache_problem() {
  return loaded().problem;
}

}  // namespace mlbox::catalog
