// What a job record keeps of the image it ran, beside its digest: the lock digest and the
// base image from the labels mlbox writes on every image it builds (builder/labels.h), so a
// run card shows them even where the image store is gone (cloud jobs, a deleted project).
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace mlbox::image {

// {"lock_digest", "base_image"}: only those the labels carry (an image mlbox did not build
// may carry neither: {}).
nlohmann::json provenance_of(const std::map<std::string, std::string>& labels);

// provenance_of the labels of manifest `manifest_digest` in the OCI layout at `store`.
// Throws Error when the store or the image cannot be read.
nlohmann::json provenance_in_store(const std::filesystem::path& store,
                                   const std::string& manifest_digest);

}  // namespace mlbox::image
