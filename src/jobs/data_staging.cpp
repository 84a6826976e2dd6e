#include "jobs/data_staging.h"

#include <fmt/format.h>

#include "util/command_words.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/hash.h"

namespace mlbox::jobs {

namespace stdfs = std::filesystem;

namespace {

constexpr const char* kBlobs = "mlbox-data/blobs/sha256/";

bool is_bucket_uri(const std::string& uri) {
  return uri.rfind("s3://", 0) == 0 || uri.rfind("gs://", 0) == 0;
}

void add_file(nlohmann::json& files, const stdfs::path& file, const std::string& rel) {
  files.push_back({{"path", rel},
                   {"sha256", sha256_file_hex(file)},
                   {"size", static_cast<uint64_t>(stdfs::file_size(file))}});
}

}  // namespace

nlohmann::json data_listing(const stdfs::path& local) {
  std::error_code ec;
  auto st = stdfs::status(local, ec);
  if (ec || !stdfs::exists(st)) {
    throw Error(ErrorKind::kConfig, "data path " + local.string() + " does not exist",
                "fix the data: entry in mlbox.yaml");
  }
  nlohmann::json files = nlohmann::json::array();
  if (stdfs::is_regular_file(st)) {
    add_file(files, local, local.filename().string());
  } else {
    const stdfs::path root = stdfs::weakly_canonical(local);
    std::vector<std::pair<std::string, stdfs::path>> found;
    for (auto it = stdfs::recursive_directory_iterator(
             local, stdfs::directory_options::follow_directory_symlink);
         it != stdfs::recursive_directory_iterator(); ++it) {
      if (!it->is_regular_file()) continue;
      stdfs::path real = stdfs::weakly_canonical(it->path());
      auto rel_real = real.lexically_relative(root);
      if (rel_real.empty() || *rel_real.begin() == "..") {
        throw Error(ErrorKind::kConfig,
                    it->path().string() + " links outside the data directory " + local.string(),
                    "copy the file into the directory instead of linking it");
      }
      found.emplace_back(it->path().lexically_relative(local).generic_string(), it->path());
    }
    std::sort(found.begin(), found.end());
    for (const auto& [rel, path] : found) add_file(files, path, rel);
  }
  return {{"mediaType", kDataListingMediaType}, {"files", files}};
}

StagingStats stage_data(ObjectStore& store, const std::string& output_uri,
                        std::vector<DataInput>& data, const stdfs::path& project_dir,
                        Observer& observer) {
  StagingStats stats;
  BucketUri out = parse_bucket_uri(output_uri);
  for (auto& d : data) {
    if (is_bucket_uri(d.uri)) continue;
    stdfs::path local = stdfs::path(d.uri).is_absolute() ? stdfs::path(d.uri) : project_dir / d.uri;
    nlohmann::json listing = data_listing(local);
    size_t before = stats.uploaded;
    for (const auto& f : listing["files"]) {
      ++stats.files;
      const std::string key = join_key(out.key, kBlobs + f["sha256"].get<std::string>());
      auto have = store.stat(out.bucket, key);
      if (have && have->size == f["size"].get<uint64_t>()) continue;
      store.put_file(out.bucket, key,
                     stdfs::is_regular_file(local) ? local : local / f["path"].get<std::string>());
      ++stats.uploaded;
      stats.bytes_uploaded += f["size"].get<uint64_t>();
    }
    const std::string text = listing.dump(1);
    const std::string tree = sha256_hex(text);
    const std::string listing_key =
        join_key(out.key, "mlbox-data/" + d.name + "/" + tree + ".json");
    if (!store.stat(out.bucket, listing_key)) {
      store.put_bytes(out.bucket, listing_key, text, kDataListingMediaType);
    }
    observer.info(fmt::format("data {}: {}, {} uploaded", d.name,
                              count_of(listing["files"].size(), "file"), stats.uploaded - before));
    d.uri = out.scheme + "://" + out.bucket + "/" + listing_key;
  }
  return stats;
}

std::string data_sources_env(const std::vector<DataInput>& data) {
  std::string out;
  for (const auto& d : data) {
    if (!out.empty()) out += ';';
    out += d.name + "=" + d.uri;
  }
  return out;
}

std::vector<DataInput> parse_data_sources_env(const std::string& value) {
  std::vector<DataInput> out;
  size_t start = 0;
  while (start < value.size()) {
    size_t end = value.find(';', start);
    if (end == std::string::npos) end = value.size();
    std::string item = value.substr(start, end - start);
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error(ErrorKind::kConfig,
                  std::string(kDataSourcesEnv) + ": '" + item + "' is not name=uri");
    }
    out.push_back({item.substr(0, eq), item.substr(eq + 1)});
    start = end + 1;
  }
  return out;
}

std::vector<stdfs::path> materialize_data(ObjectStore& store, const std::string& uri,
                                          const stdfs::path& dest) {
  BucketUri b = parse_bucket_uri(uri);
  if (b.key.size() < 5 || b.key.substr(b.key.size() - 5) != ".json" ||
      b.key.find("mlbox-data/") == std::string::npos) {
    return download_prefix(store, uri, dest);
  }
  fs::TempDir tmp;
  store.get_file(b.bucket, b.key, tmp.path() / "listing.json");
  nlohmann::json listing =
      nlohmann::json::parse(fs::read_file(tmp.path() / "listing.json"), nullptr, false);
  if (listing.is_discarded() || listing.value("mediaType", "") != kDataListingMediaType) {
    throw Error(ErrorKind::kRemote, uri + " is not an mlbox data listing");
  }
  // The blobs sit beside the entry's directory: <root>/mlbox-data/blobs/sha256/<hex>.
  std::string root = b.key.substr(0, b.key.find("mlbox-data/"));
  std::vector<stdfs::path> out;
  for (const auto& f : listing["files"]) {
    stdfs::path rel = stdfs::path(f["path"].get<std::string>()).lexically_normal();
    if (rel.empty() || rel.is_absolute() || *rel.begin() == "..") {
      throw Error(ErrorKind::kRemote, uri + " lists a path outside its directory: " + rel.string());
    }
    stdfs::path target = dest / rel;
    const std::string want = f["sha256"].get<std::string>();
    if (stdfs::is_regular_file(target) && sha256_file_hex(target) == want) {
      out.push_back(target);
      continue;
    }
    store.get_file(b.bucket, root + kBlobs + want, target);
    if (sha256_file_hex(target) != want) {
      stdfs::remove(target);
      throw Error(ErrorKind::kRemote, "blob sha256:" + want + " from " + uri + " is corrupt");
    }
    out.push_back(target);
  }
  return out;
}

}  // namespace mlbox::jobs
