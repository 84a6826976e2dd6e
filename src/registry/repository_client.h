// The distribution API calls on one repository: blob HEAD, cross-repository mount, blob
// uploads (monolithic, or chunked with resume from the registry's Range), manifest PUT
// and GET, blob GET. Upload Location values are used exactly as the registry gave them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "registry/registry_client.h"

namespace mlbox::registry {

struct BlobSource {
  std::string digest;
  uint64_t size = 0;
  std::filesystem::path path;  // the blob's bytes
};

struct UploadStats {
  uint64_t bytes_sent = 0;  // body bytes handed to the network, re-sends included
  int chunks = 0;           // PATCH requests that the registry accepted
  int resumes = 0;          // broken chunks continued from the registry's Range
  int restarts = 0;         // uploads begun again from byte 0
};

struct FetchedManifest {
  std::string media_type;
  std::string digest;  // verified SHA-256 of `bytes`
  std::string bytes;
};

class RepositoryClient {
 public:
  RepositoryClient(RegistryClient& registry, std::string name);
  const std::string& name() const { return name_; }
  RegistryClient& registry() { return registry_; }

  // HEAD /v2/<name>/blobs/<digest>: the size when present, nullopt when unknown.
  std::optional<uint64_t> blob_size(const std::string& digest);

  // POST ?mount=<digest>&from=<repo>. True when mounted; otherwise (refused) returns false
  // and leaves the session the registry opened in *upload_location (may stay empty).
  bool mount(const std::string& digest, const std::string& from, std::string* upload_location);

  // POST /v2/<name>/blobs/uploads/ -> the upload Location.
  std::string start_upload();

  using Progress = std::function<void(uint64_t confirmed_bytes)>;
  // Uploads `blob` into a session (a fresh one when `location` is empty). chunk_size 0 sends
  // one PUT; otherwise PATCH chunks, resuming a broken chunk from the registry's Range.
  UploadStats upload(const BlobSource& blob, std::string location, uint64_t chunk_size,
                     const Progress& progress);

  // PUT /v2/<name>/manifests/<reference>; returns the digest the registry reports (or the
  // SHA-256 of the bytes). Throws on refusal (the Error carries the registry's code).
  std::string put_manifest(const std::string& reference, const std::string& media_type,
                           const std::string& bytes);

  // GET /v2/<name>/manifests/<reference>, accepting OCI and Docker manifests and indexes,
  // verifying the digest (against the reference when it is one, else the registry's
  // Docker-Content-Digest header when sent).
  FetchedManifest get_manifest(const std::string& reference);

  // GET /v2/<name>/blobs/<digest> streamed into `sink` (redirects followed). Returns false when
  // the transfer broke (the caller verifies and retries); throws on HTTP errors.
  using Sink = std::function<bool(const char*, size_t)>;
  void get_blob(const std::string& digest, const Sink& sink,
                const std::function<void(uint64_t)>& progress, const std::function<void()>& reset);

 private:
  std::string blob_upload_url() const;
  UploadStats upload_monolithic(const BlobSource& blob, std::string location,
                                const Progress& progress);
  UploadStats upload_chunked(const BlobSource& blob, std::string location, uint64_t chunk_size,
                             const Progress& progress);
  void finish_upload(const BlobSource& blob, const std::string& location, UploadStats& stats);

  RegistryClient& registry_;
  std::string name_;
  std::vector<std::string> push_scopes_;
  std::vector<std::string> pull_scopes_;
};

// "?digest=" appended to an upload Location, keeping whatever query it already has.
std::string with_query(const std::string& url, const std::string& key, const std::string& value);
// The end offset of a "0-1234" / "bytes=0-1234" Range header: the next byte to send.
std::optional<uint64_t> next_offset_from_range(const std::string& range);

}  // namespace mlbox::registry
