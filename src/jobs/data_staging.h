// Local `data:` entries -> the target's bucket, content-addressed, so a second submit moves
// only the files whose contents changed:
//   <output>/mlbox-data/blobs/sha256/<hex>        each file once, by its SHA-256
//   <output>/mlbox-data/<name>/<tree>.json        the entry's listing {path, sha256, size}
// The job gets the listing's URI; mlbox-trainer materialises it into MLBOX_DATA_DIR/<name>.
// Bucket URIs in mlbox.yaml are passed through untouched.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/events.h"
#include "jobs/job_spec.h"
#include "jobs/object_store.h"

namespace mlbox::jobs {

inline constexpr const char* kDataListingMediaType = "application/vnd.mlbox.data-listing.v1+json";

struct StagingStats {
  size_t files = 0;
  size_t uploaded = 0;  // files whose blob was missing
  uint64_t bytes_uploaded = 0;
};

// The listing of a local file or directory (sorted by path, regular files only; symlinks
// are followed inside the tree but never out of it). Throws Error(kConfig) for a missing path.
nlohmann::json data_listing(const std::filesystem::path& local);

// Uploads what is missing and rewrites each local entry's uri to its listing's URI.
// `project_dir` resolves relative paths.
StagingStats stage_data(ObjectStore& store, const std::string& output_uri,
                        std::vector<DataInput>& data, const std::filesystem::path& project_dir,
                        Observer& observer);

// The job's data entries as one env value for mlbox-trainer: MLBOX_DATA_SOURCES =
// "name=uri;name=uri" (names are mlbox.yaml keys, which have no '=' or ';').
inline constexpr const char* kDataSourcesEnv = "MLBOX_DATA_SOURCES";
std::string data_sources_env(const std::vector<DataInput>& data);
std::vector<DataInput> parse_data_sources_env(const std::string& value);

// The other side (the trainer): a listing URI -> files under `dest`; a plain prefix is
// downloaded as it is. Files already present with the right hash are kept.
std::vector<std::filesystem::path> materialize_data(ObjectStore& store, const std::string& uri,
                                                    const std::filesystem::path& dest);

}  // namespace mlbox::jobs
