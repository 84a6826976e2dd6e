#include "registry/repository_client.h"

#include <chrono>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "image/descriptor.h"
#include "registry/registry_error.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/fault_point.h"
#include "util/hash.h"
#include "util/redact.h"
#include "util/strings.h"

namespace mlbox::registry {

namespace {

constexpr int kMaxRestarts = 4;

bool retryable(const net::Outcome& o) {
  return net::RetryPolicy{}.retryable(o);
}

void backoff(int failures, const net::Outcome& o) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  net::RetryPolicy p;
  p.max_attempts = 1000;
  auto d = p.delay_before_retry(failures, o, std::uniform_real_distribution<double>(0, 1)(rng));
  std::this_thread::sleep_for(d.value_or(std::chrono::milliseconds(500)));
}

}  // namespace

std::string with_query(const std::string& url, const std::string& key, const std::string& value) {
  auto hash = url.find('#');
  std::string base = hash == std::string::npos ? url : url.substr(0, hash);
  char sep = base.find('?') == std::string::npos ? '?' : '&';
  return base + sep + key + "=" + percent_encode(value);
}

std::optional<uint64_t> next_offset_from_range(const std::string& range) {
  std::string r(trim(range));
  if (starts_with(r, "bytes=")) r.erase(0, 6);
  auto dash = r.find('-');
  if (dash == std::string::npos) return std::nullopt;
  try {
    uint64_t start = std::stoull(r.substr(0, dash));
    uint64_t end = std::stoull(r.substr(dash + 1));
    if (start != 0) return std::nullopt;
    // "0-0" is what distribution answers for an empty upload too: send from 0 again.
    return end == 0 ? 0 : end + 1;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

RepositoryClient::RepositoryClient(RegistryClient& registry, std::string name)
    : registry_(registry),
      name_(std::move(name)),
      push_scopes_{push_scope(name_)},
      pull_scopes_{pull_scope(name_)} {}

std::string RepositoryClient::blob_upload_url() const {
  return registry_.base_url() + "/v2/" + name_ + "/blobs/uploads/";
}

std::optional<uint64_t> RepositoryClient::blob_size(const std::string& digest) {
  net::Request req;
  req.method = "HEAD";
  req.url = registry_.base_url() + "/v2/" + name_ + "/blobs/" + digest;
  net::Outcome o = registry_.send(req, push_scopes_);
  if (!o.ok()) throw transport_error(req, o, "checking blob " + digest);
  if (o.response.status == 404) return std::nullopt;
  if (o.response.status != 200) throw http_error(req, o, "checking blob " + digest);
  auto len = o.response.header("content-length");
  try {
    return len ? std::stoull(*len) : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

bool RepositoryClient::mount(const std::string& digest, const std::string& from,
                             std::string* upload_location) {
  net::Request req;
  req.method = "POST";
  req.url = with_query(with_query(blob_upload_url(), "mount", digest), "from", from);
  req.body = std::string();
  std::vector<std::string> scopes = {push_scope(name_), pull_scope(from)};
  net::Outcome o = registry_.send(req, scopes);
  if (!o.ok()) throw transport_error(req, o, "mounting blob " + digest);
  if (o.response.status == 201) return true;
  if (o.response.status == 202) {
    if (auto loc = o.response.header("location")) *upload_location = registry_.absolute(*loc);
    return false;
  }
  // Some registries refuse a mount outright (401/403/404 for the source); upload instead.
  registry_.http().observer().debug(
      fmt::format("mount of {} from {} refused: HTTP {}", digest, from, o.response.status));
  return false;
}

std::string RepositoryClient::start_upload() {
  net::Request req;
  req.method = "POST";
  req.url = blob_upload_url();
  req.body = std::string();
  net::Outcome o = registry_.send(req, push_scopes_);
  if (!o.ok()) throw transport_error(req, o, "starting a blob upload to " + name_);
  auto loc = o.response.header("location");
  if (o.response.status != 202 || !loc) {
    throw http_error(req, o, "starting a blob upload to " + name_);
  }
  return registry_.absolute(*loc);
}

UploadStats RepositoryClient::upload(const BlobSource& blob, std::string location,
                                     uint64_t chunk_size, const Progress& progress) {
  if (chunk_size == 0 || blob.size <= chunk_size) {
    return upload_monolithic(blob, std::move(location), progress);
  }
  return upload_chunked(blob, std::move(location), chunk_size, progress);
}

void RepositoryClient::finish_upload(const BlobSource& blob, const std::string& location,
                                     UploadStats& stats) {
  (void)stats;
  net::Request req;
  req.method = "PUT";
  req.url = with_query(location, "digest", blob.digest);
  req.headers.emplace_back("Content-Type", "application/octet-stream");
  req.body = std::string();
  for (int failures = 0;; ++failures) {
    net::Outcome o = registry_.send(req, push_scopes_, net::RetryPolicy::none());
    if (o.ok() && (o.response.status == 201 || o.response.status == 204)) {
      auto got = o.response.header("docker-content-digest");
      if (got && *got != blob.digest) {
        throw Error(
            ErrorKind::kRemote,
            fmt::format("{}: the registry stored {} as {}", net::describe(req), blob.digest, *got),
            "the registry computed a different digest; check for a proxy that "
            "rewrites bodies");
      }
      return;
    }
    // The answer may have been lost after the registry committed: ask for the blob.
    if (auto size = blob_size(blob.digest); size && *size == blob.size) return;
    if ((o.ok() && !retryable(o)) || failures >= kMaxRestarts) {
      throw request_error(req, o, "finishing upload of " + blob.digest);
    }
    backoff(failures + 1, o);
  }
}

UploadStats RepositoryClient::upload_monolithic(const BlobSource& blob, std::string location,
                                                const Progress& progress) {
  UploadStats stats;
  for (int failures = 0;; ++failures) {
    if (location.empty()) location = start_upload();
    net::Request req;
    req.method = "PUT";
    req.url = with_query(location, "digest", blob.digest);
    req.headers.emplace_back("Content-Type", "application/octet-stream");
    req.body = net::FileRange{blob.path, 0, blob.size};
    req.on_progress = [&](uint64_t sent, uint64_t) {
      if (progress) progress(std::min(sent, blob.size));
    };
    net::Outcome o = registry_.send(req, push_scopes_, net::RetryPolicy::none());
    stats.bytes_sent += blob.size;
    if (o.ok() && (o.response.status == 201 || o.response.status == 204)) {
      auto got = o.response.header("docker-content-digest");
      if (got && *got != blob.digest) {
        throw Error(
            ErrorKind::kRemote,
            fmt::format("{}: the registry stored {} as {}", net::describe(req), blob.digest, *got),
            "check for a proxy that rewrites bodies");
      }
      if (progress) progress(blob.size);
      return stats;
    }
    if ((o.ok() && !retryable(o)) || failures >= kMaxRestarts) {
      throw request_error(req, o, "uploading " + blob.digest);
    }
    if (auto size = blob_size(blob.digest); size && *size == blob.size) return stats;
    registry_.http().observer().warn(fmt::format("{}: {}; uploading {} again", net::describe(req),
                                                 net::describe(o), blob.digest));
    backoff(failures + 1, o);
    ++stats.whole_resends;
    location.clear();  // a broken PUT leaves the session unusable: open a new one
  }
}

UploadStats RepositoryClient::upload_chunked(const BlobSource& blob, std::string location,
                                             uint64_t chunk_size, const Progress& progress) {
  UploadStats stats;
  if (location.empty()) location = start_upload();
  uint64_t offset = 0;
  int failures = 0;
  while (offset < blob.size) {
    uint64_t length = std::min(chunk_size, blob.size - offset);
    net::Request req;
    req.method = "PATCH";
    req.url = location;
    req.headers.emplace_back("Content-Type", "application/octet-stream");
    req.headers.emplace_back("Content-Range", fmt::format("{}-{}", offset, offset + length - 1));
    req.body = net::FileRange{blob.path, offset, length};
    uint64_t base = offset;
    req.on_progress = [&, base](uint64_t sent, uint64_t) {
      if (progress) progress(base + std::min(sent, length));
    };
    net::Outcome o = registry_.send(req, push_scopes_, net::RetryPolicy::none());
    stats.bytes_sent += length;
    if (o.ok() && o.response.status == 202) {
      failures = 0;
      ++stats.chunks;
      if (auto loc = o.response.header("location")) location = registry_.absolute(*loc);
      auto range = o.response.header("range");
      auto next = range ? next_offset_from_range(*range) : std::nullopt;
      offset = next.value_or(offset + length);
      if (progress) progress(offset);
      fault::reached("blob-upload", offset);
      continue;
    }
    if (o.ok() && !retryable(o) && o.response.status != 416) {
      throw http_error(req, o, "uploading a chunk of " + blob.digest);
    }
    if (++failures > kMaxRestarts * 2) throw request_error(req, o, "uploading " + blob.digest);
    registry_.http().observer().warn(fmt::format("{}: {}; asking the registry where to resume",
                                                 net::describe(req), net::describe(o)));
    backoff(failures, o);
    // Where does the registry stand? GET on the upload URL answers with its Range.
    net::Request status;
    status.url = location;
    net::Outcome s = registry_.send(status, push_scopes_);
    std::optional<uint64_t> next;
    if (s.ok() && s.response.status == 204) {
      if (auto range = s.response.header("range")) next = next_offset_from_range(*range);
    }
    if (next && *next <= blob.size) {
      if (auto loc = s.response.header("location")) location = registry_.absolute(*loc);
      registry_.http().observer().debug(
          fmt::format("upload of {} resumes at byte {} (was at {})", blob.digest, *next, offset));
      offset = *next;
      ++stats.resumes;
      continue;
    }
    // The session is gone (the registry dropped it): begin again from byte 0.
    if (stats.restarts >= kMaxRestarts) {
      throw request_error(status, s, "resuming the upload of " + blob.digest);
    }
    registry_.http().observer().warn(
        fmt::format("the registry lost the upload session of {} ({}); starting it again",
                    blob.digest, net::describe(s)));
    ++stats.restarts;
    location = start_upload();
    offset = 0;
  }
  finish_upload(blob, location, stats);
  return stats;
}

std::string RepositoryClient::put_manifest(const std::string& reference,
                                           const std::string& media_type,
                                           const std::string& bytes) {
  net::Request req;
  req.method = "PUT";
  req.url = registry_.base_url() + "/v2/" + name_ + "/manifests/" + reference;
  req.headers.emplace_back("Content-Type", media_type);
  req.body = bytes;
  net::Outcome o = registry_.send(req, push_scopes_);
  if (!o.ok()) throw transport_error(req, o, "pushing the manifest");
  if (o.response.status != 201 && o.response.status != 200 && o.response.status != 202) {
    throw http_error(req, o, "pushing the manifest");
  }
  std::string digest = oci_digest(bytes);
  auto got = o.response.header("docker-content-digest");
  if (got && *got != digest) {
    throw Error(ErrorKind::kRemote,
                fmt::format("{}: the registry reports digest {} for a manifest whose digest is {}",
                            net::describe(req), *got, digest),
                "the registry rewrote the manifest; push with a registry that stores it as sent");
  }
  return digest;
}

FetchedManifest RepositoryClient::get_manifest(const std::string& reference) {
  net::Request req;
  req.url = registry_.base_url() + "/v2/" + name_ + "/manifests/" + reference;
  req.headers.emplace_back(
      "Accept", fmt::format("{}, {}, {}, {}", image::media_type::kImageManifest,
                            image::media_type::kImageIndex, image::media_type::kDockerManifest,
                            image::media_type::kDockerManifestList));
  req.max_body = 4u << 20;
  net::Outcome o = registry_.send(req, pull_scopes_);
  if (!o.ok()) throw transport_error(req, o, "fetching manifest " + reference);
  if (o.response.status != 200) throw http_error(req, o, "fetching manifest " + reference);
  FetchedManifest m;
  m.bytes = std::move(o.response.body);
  m.digest = oci_digest(m.bytes);
  std::string expected;
  if (image::is_valid_digest(reference)) {
    expected = reference;
  } else if (auto d = o.response.header("docker-content-digest")) {
    expected = *d;
  }
  if (!expected.empty() && starts_with(expected, "sha256:") && expected != m.digest) {
    throw Error(ErrorKind::kRemote,
                fmt::format("{}: manifest digest is {}, expected {}", net::describe(req), m.digest,
                            expected),
                "the registry (or a proxy) altered the manifest; do not use this image");
  }
  std::string ct = o.response.header("content-type").value_or("");
  if (auto semi = ct.find(';'); semi != std::string::npos) ct.resize(semi);
  nlohmann::json j = nlohmann::json::parse(m.bytes, nullptr, false);
  if (j.is_object() && j.contains("mediaType") && j["mediaType"].is_string()) {
    m.media_type = j["mediaType"].get<std::string>();
  } else {
    m.media_type = std::string(trim(ct));
  }
  return m;
}

void RepositoryClient::get_blob(const std::string& digest, const Sink& sink,
                                const std::function<void(uint64_t)>& progress,
                                const std::function<void()>& reset) {
  net::Request req;
  req.url = registry_.base_url() + "/v2/" + name_ + "/blobs/" + digest;
  req.follow_redirects = true;
  req.on_body = sink;
  req.on_progress = [&](uint64_t, uint64_t received) {
    if (progress) progress(received);
  };
  for (int failures = 0;; ++failures) {
    if (failures > 0 && reset) reset();
    net::Outcome o = registry_.send(req, pull_scopes_, net::RetryPolicy::none());
    if (o.ok() && o.response.status == 200) return;
    if ((o.ok() && !retryable(o)) || o.failure == net::TransportFailure::kAborted ||
        failures >= kMaxRestarts) {
      throw request_error(req, o, "downloading blob " + digest);
    }
    registry_.http().observer().warn(
        fmt::format("{}: {}; downloading again", net::describe(req), net::describe(o)));
    backoff(failures + 1, o);
  }
}

}  // namespace mlbox::registry
