// Test driver for the local backend (not installed):
//
//   mlbox_local_tool unpack --store DIR --tag TAG [--cache DIR] [--fail-at-layer N]
//       unpacks the image into the rootfs cache (default $MLBOX_HOME/cache/rootfs) and prints
//       {"dir","chain_id","cached","layers_applied"} as JSON.
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cloud/local/rootfs_cache.h"
#include "image/oci_layout.h"
#include "util/error.h"

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

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "unpack") return cmd_unpack(parse(argc, argv));
    std::cerr << "usage: mlbox_local_tool unpack --store DIR --tag TAG [--cache DIR]\n";
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
