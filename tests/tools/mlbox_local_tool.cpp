// Test driver for the local backend (not installed):
//
//   mlbox_local_tool unpack --store DIR --tag TAG [--cache DIR] [--fail-at-layer N]
//       unpacks the image into the rootfs cache (default $MLBOX_HOME/cache/rootfs) and prints
//       {"dir","chain_id","cached","layers_applied"} as JSON.
//   mlbox_local_tool record-job --json FILE
//       records a finished job in the store ($MLBOX_HOME/jobs.db) from a JobRecord as JSON
//       (id, name, backend, state, output_dir, details, attempts with their times): a fixture
//       for the commands that read jobs (report) without running one.
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cloud/local/rootfs_cache.h"
#include "image/oci_layout.h"
#include "jobs/job_store.h"
#include "util/error.h"
#include "util/fs.h"

using namespace mlbox;

namespace {

std::map<std::string, std::string> parse(int argc, char** argv) {
  std::map<std::string, std::string> a;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k.rfind("--", 0) != 0) throw Error(ErrorKind::kUsage, "unexpected argument " + k);
    a[k.substr(2)] = argv[i + 1];
  }
  return a;
}

int cmd_unpack(const std::map<std::string, std::string>& a) {
  image::OciLayout store(a.at("store"));
  std::string tag = a.count("tag") ? a.at("tag") : "latest";
  auto manifest = store.read_manifest(tag);
  auto config = store.read_config(manifest);
  cloud::local::RootfsCache cache(a.count("cache") ? std::filesystem::path(a.at("cache"))
                                                   : cloud::local::rootfs_cache_root());
  if (a.count("fail-at-layer")) {
    size_t at = std::stoul(a.at("fail-at-layer"));
    cache.before_layer = [at](const std::filesystem::path&, size_t i) {
      if (i == at)
        throw Error(ErrorKind::kInternal, "injected failure before layer " + std::to_string(i));
    };
  }
  NullObserver quiet;
  auto r = cache.ensure(store, manifest, config, quiet);
  std::cout << nlohmann::json{{"dir", r.dir.string()},
                              {"chain_id", r.chain_id},
                              {"cached", r.cached},
                              {"layers_applied", r.layers_applied}}
                   .dump()
            << "\n";
  return 0;
}

int cmd_record_job(const std::map<std::string, std::string>& a) {
  auto j = nlohmann::json::parse(fs::read_file(a.at("json")));
  jobs::JobRecord r;
  r.id = j.at("id");
  r.name = j.value("name", "fixture");
  r.backend = j.value("backend", "local");
  r.image_ref = j.value("image_ref", "");
  r.image_digest = j.value("image_digest", "");
  r.output_dir = j.value("output_dir", "");
  r.details = j.value("details", nlohmann::json::object());
  jobs::JobState state = jobs::parse_job_state(j.value("state", "SUCCEEDED"));
  std::vector<jobs::Attempt> attempts;
  for (const auto& x : j.value("attempts", nlohmann::json::array())) {
    jobs::Attempt at;
    at.number = x.at("number");
    at.started_at = x.value("started_at", "");
    at.ended_at = x.value("ended_at", "");
    if (x.contains("exit_code")) at.exit_code = x["exit_code"].get<int>();
    at.outcome = x.value("outcome", "");
    attempts.push_back(at);
  }
  jobs::JobStore store;
  store.insert(r);
  store.apply_remote(r.id, state, attempts);
  std::cout << r.id << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "unpack") return cmd_unpack(parse(argc, argv));
    if (cmd == "record-job") return cmd_record_job(parse(argc, argv));
    std::cerr << "usage: mlbox_local_tool unpack --store DIR --tag TAG [--cache DIR]\n"
                 "       mlbox_local_tool record-job --json FILE\n";
    return 2;
  } catch (const Error& e) {
    std::cerr << "mlbox_local_tool: error: " << e.what() << "\n";
    if (!e.hint().empty()) std::cerr << "  hint: " << e.hint() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "mlbox_local_tool: error: " << e.what() << "\n";
    return 1;
  }
}
