// Test driver for the image machinery (not installed): lets shell tests and benchmarks
// drive layer writing, the OCI store, the context filter and the secret scanner directly.
//
//   mlbox_image_tool image --store DIR --tag TAG --src DIR [--prefix P] [--context]
//                          [--compression gzip|zstd|none] [--threads N] [--block-size N]
//                          [--allow-secret PAT]...
//   mlbox_image_tool context DIR [--include P]... [--exclude P]...
//   mlbox_image_tool scan DIR [--allow PAT]...
//   mlbox_image_tool compress gzip|zstd [--threads N] [--level L] [--block-size N] <in >out
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "builder/context_filter.h"
#include "builder/secret_scanner.h"
#include "image/compressor.h"
#include "image/image_config.h"
#include "image/layer_writer.h"
#include "image/oci_layout.h"
#include "util/error.h"

using namespace mlbox;

namespace {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> options;
  std::string get(const std::string& key, const std::string& def = {}) const {
    auto it = options.find(key);
    return it == options.end() || it->second.empty() ? def : it->second.back();
  }
  std::vector<std::string> all(const std::string& key) const {
    auto it = options.find(key);
    return it == options.end() ? std::vector<std::string>{} : it->second;
  }
  bool flag(const std::string& key) const { return options.count(key) > 0; }
};

Args parse(int argc, char** argv, int from) {
  Args a;
  for (int i = from; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) == 0) {
      std::string key = s.substr(2);
      if (key == "context") {
        a.options[key].push_back("1");
      } else if (i + 1 < argc) {
        a.options[key].push_back(argv[++i]);
      } else {
        throw Error(ErrorKind::kUsage, "missing value for " + s);
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

image::CompressionOptions compression_of(const Args& a, const std::string& name) {
  image::CompressionOptions o;
  o.compression = image::parse_compression(name);
  o.threads = static_cast<unsigned>(std::stoul(a.get("threads", "0")));
  o.level = std::stoi(a.get("level", "-1"));
  o.gzip_block_size = std::stoul(a.get("block-size", std::to_string(1 << 20)));
  return o;
}

int cmd_image(const Args& a) {
  std::filesystem::path src = a.get("src");
  image::OciLayout store(a.get("store"));
  std::vector<std::string> rels;
  if (a.flag("context")) {
    auto listing = builder::list_build_context(src, {});
    builder::SecretScanOptions scan;
    scan.allow = a.all("allow-secret");
    builder::refuse_secrets(builder::scan_for_secrets(src, listing.files(), scan));
    rels = listing.paths();
  }
  auto entries = a.flag("context") ? image::entries_from_paths(src, rels, a.get("prefix"))
                                   : image::entries_from_directory(src, a.get("prefix"));
  image::LayerOptions lo;
  lo.compression = compression_of(a, a.get("compression", "gzip"));
  image::LayerWriter writer(store, lo);
  auto layer = writer.write(std::move(entries));

  image::ImageConfig config;
  config.created = image::reproducible_created_time();
  config.platform = image::host_platform();
  config.config.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  config.config.cmd = std::vector<std::string>{"/bin/sh"};
  config.config.working_dir = "/";
  config.add_layer(layer.diff_id, "mlbox_image_tool image --prefix " + a.get("prefix"));
  auto manifest = store.write_image(config, {layer.descriptor});
  store.tag(a.get("tag", "latest"), manifest);
  nlohmann::json out = {{"manifest", manifest.digest},
                        {"layer", layer.descriptor.digest},
                        {"layer_size", layer.descriptor.size},
                        {"diff_id", layer.diff_id},
                        {"tar_size", layer.tar_size},
                        {"files", layer.files},
                        {"entries", layer.entries},
                        {"bytes_read", layer.bytes_read}};
  std::cout << out.dump() << "\n";
  return 0;
}

int cmd_context(const Args& a) {
  builder::ContextRules rules;
  rules.include = a.all("include");
  rules.exclude = a.all("exclude");
  auto listing = builder::list_build_context(a.positional.at(1), rules);
  for (const auto& e : listing.entries) {
    std::cout << e.path << (e.type == builder::ContextEntry::Type::kDirectory ? "/" : "") << "\n";
  }
  return 0;
}

int cmd_scan(const Args& a) {
  std::filesystem::path root = a.positional.at(1);
  auto listing = builder::list_build_context(root, {});
  builder::SecretScanOptions o;
  o.allow = a.all("allow");
  auto report = builder::scan_context_for_secrets(root, listing.files(), o);
  for (const auto& why : report.incomplete) std::cerr << "not scanned to the end: " << why << "\n";
  builder::refuse_secrets(report.findings);
  std::cout << "no secrets in " << listing.files().size() << " files\n";
  return 0;
}

int cmd_compress(const Args& a) {
  auto c =
      image::make_compressor(compression_of(a, a.positional.at(1)), [](const void* d, size_t n) {
        if (std::fwrite(d, 1, n, stdout) != n) {
          throw Error(ErrorKind::kInternal, "write to stdout failed");
        }
      });
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(0, buf.data(), buf.size());
    if (n < 0) throw Error(ErrorKind::kInternal, std::string("read: ") + std::strerror(errno));
    if (n == 0) break;
    c->write(buf.data(), static_cast<size_t>(n));
  }
  c->finish();
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args a = parse(argc, argv, 1);
    std::string cmd = a.positional.empty() ? "" : a.positional[0];
    if (cmd == "image") return cmd_image(a);
    if (cmd == "context") return cmd_context(a);
    if (cmd == "scan") return cmd_scan(a);
    if (cmd == "compress") return cmd_compress(a);
    std::cerr << "usage: mlbox_image_tool image|context|scan|compress ...\n";
    return 2;
  } catch (const Error& e) {
    std::cerr << "mlbox_image_tool: error: " << e.what() << "\n";
    if (!e.hint().empty()) std::cerr << "hint: " << e.hint() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "mlbox_image_tool: error: " << e.what() << "\n";
    return 1;
  }
}
