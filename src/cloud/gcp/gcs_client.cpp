#include "cloud/gcp/gcs_client.h"

#include <fstream>
#include <memory>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "cloud/gcp/adc.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/numbers.h"
#include "util/strings.h"

namespace mlbox::cloud::gcp {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void malformed(const std::string& what) {
  throw Error(ErrorKind::kRemote, "Cloud Storage answered with " + what,
              "check STORAGE_EMULATOR_HOST if it is set; otherwise try again later");
}

std::string string_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (!it->is_string()) malformed(std::string("a '") + key + "' that is not a string");
  return it->get<std::string>();
}

}  // namespace

GcsObject gcs_object_from_json(const nlohmann::json& item, const std::string& fallback_name) {
  if (!item.is_object()) malformed("object metadata that is not a JSON object");
  GcsObject o;
  o.name = string_field(item, "name");
  if (o.name.empty()) o.name = fallback_name;
  if (auto it = item.find("size");
      it != item.end() &&
      (it->is_number_unsigned() || (it->is_number_integer() && it->get<int64_t>() >= 0))) {
    o.size = it->get<uint64_t>();  // emulators may send a number
  } else {
    std::string size = string_field(item, "size");
    auto n = parse_u64(size.empty() ? "0" : size);
    if (!n) malformed("the size '" + size.substr(0, 32) + "' for " + o.name);
    o.size = *n;
  }
  o.md5_base64 = string_field(item, "md5Hash");
  return o;
}

GcsClient::GcsClient(GoogleApi& api, const config::EnvGetter& env) : api_(api) {
  auto host = env ? env("STORAGE_EMULATOR_HOST") : std::nullopt;
  if (host && !host->empty()) {
    base_ = host->find("://") == std::string::npos ? "http://" + *host : *host;
    while (ends_with(base_, "/")) base_.pop_back();
  } else {
    base_ = "https://storage.googleapis.com";
  }
}

std::string GcsClient::object_url(const std::string& bucket, const std::string& object) const {
  return fmt::format("{}/storage/v1/b/{}/o/{}", base_, percent_encode(bucket),
                     percent_encode(object));
}

std::vector<GcsObject> GcsClient::list(const std::string& bucket, const std::string& prefix) {
  std::vector<GcsObject> out;
  std::string page;
  do {
    std::string url = fmt::format("{}/storage/v1/b/{}/o?prefix={}", base_, percent_encode(bucket),
                                  percent_encode(prefix));
    if (!page.empty()) url += "&pageToken=" + percent_encode(page);
    nlohmann::json j = api_.call("GET", url);
    if (!j.is_object()) malformed("a listing that is not a JSON object");
    if (auto items = j.find("items"); items != j.end()) {
      if (!items->is_array()) malformed("'items' that is not a list");
      for (const auto& item : *items) out.push_back(gcs_object_from_json(item, ""));
    }
    page = string_field(j, "nextPageToken");
  } while (!page.empty());
  return out;
}

std::optional<GcsObject> GcsClient::stat(const std::string& bucket, const std::string& object) {
  net::Request r;
  r.url = object_url(bucket, object);
  r.headers = {{"Accept", "application/json"}};
  net::Outcome o = api_.send(r);
  if (o.ok() && o.response.status == 404) return std::nullopt;
  if (!o.ok() || o.response.status >= 400) throw_google_error("GET", r.url, o);
  auto j = nlohmann::json::parse(o.response.body, nullptr, false);
  return gcs_object_from_json(j, object);
}

void GcsClient::upload_bytes(const std::string& bytes, const std::string& bucket,
                             const std::string& object, const std::string& content_type) {
  net::Request r;
  r.method = "POST";
  r.url = fmt::format("{}/upload/storage/v1/b/{}/o?uploadType=media&name={}", base_,
                      percent_encode(bucket), percent_encode(object));
  r.headers = {{"Content-Type", content_type.empty() ? "application/octet-stream" : content_type}};
  r.body = bytes;
  net::Outcome o = api_.send(r);
  if (!o.ok() || o.response.status >= 400) throw_google_error("POST", r.url, o);
}

uint64_t GcsClient::download(const std::string& bucket, const std::string& object,
                             const fs::path& dest, const std::string& expected_md5_base64) {
  if (dest.has_parent_path()) fs::create_directories(dest.parent_path());
  fs::path tmp = dest;
  tmp += ".part";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw Error(ErrorKind::kInternal, fmt::format("cannot write {}", tmp.string()));
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md5(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(md5.get(), EVP_md5(), nullptr);
  uint64_t written = 0;
  net::Request r;
  r.url = object_url(bucket, object) + "?alt=media";
  r.on_body = [&](const char* data, size_t n) {
    out.write(data, static_cast<std::streamsize>(n));
    EVP_DigestUpdate(md5.get(), data, n);
    written += n;
    return static_cast<bool>(out);
  };
  // A retry would append to what the failed attempt wrote: let the caller retry whole files.
  net::Outcome o = api_.send(r, net::RetryPolicy::none());
  out.close();
  if (!o.ok() || o.response.status >= 400) {
    fs::remove(tmp);
    throw_google_error("GET", r.url, o);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(md5.get(), digest, &len);
  if (!expected_md5_base64.empty() &&
      base64_encode(std::string_view(reinterpret_cast<const char*>(digest), len)) !=
          expected_md5_base64) {
    fs::remove(tmp);
    throw Error(ErrorKind::kRemote,
                fmt::format("gs://{}/{}: downloaded bytes do not match the object's md5Hash",
                            bucket, object),
                "try again; the object may have changed during the download");
  }
  fs::rename(tmp, dest);
  return written;
}

void GcsClient::upload(const fs::path& file, const std::string& bucket, const std::string& object,
                       uint64_t resumable_threshold, uint64_t chunk_size) {
  uint64_t size = fs::file_size(file);
  std::string base = fmt::format("{}/upload/storage/v1/b/{}/o", base_, percent_encode(bucket));
  if (size < resumable_threshold) {
    net::Request r;
    r.method = "POST";
    r.url = base + "?uploadType=media&name=" + percent_encode(object);
    r.headers = {{"Content-Type", "application/octet-stream"}};
    r.body = net::FileRange{file, 0, size};
    net::Outcome o = api_.send(r);
    if (!o.ok() || o.response.status >= 400) throw_google_error("POST", r.url, o);
    return;
  }
  net::Request start;
  start.method = "POST";
  start.url = base + "?uploadType=resumable&name=" + percent_encode(object);
  start.headers = {{"Content-Type", "application/json"},
                   {"X-Upload-Content-Type", "application/octet-stream"},
                   {"X-Upload-Content-Length", std::to_string(size)}};
  start.body = nlohmann::json({{"name", object}}).dump();
  net::Outcome o = api_.send(start);
  if (!o.ok() || o.response.status >= 400) throw_google_error("POST", start.url, o);
  auto session = o.response.header("location");
  if (!session) {
    throw Error(ErrorKind::kRemote,
                fmt::format("POST {}: no Location header for the resumable upload", start.url));
  }
  chunk_size = std::max<uint64_t>(256u << 10, chunk_size / (256u << 10) * (256u << 10));
  uint64_t offset = 0;
  int stalled = 0;
  while (offset < size) {
    uint64_t n = std::min(chunk_size, size - offset);
    net::Request put;
    put.method = "PUT";
    put.url = *session;
    put.headers = {{"Content-Range", fmt::format("bytes {}-{}/{}", offset, offset + n - 1, size)}};
    put.body = net::FileRange{file, offset, n};
    net::Outcome p = api_.send(put);
    if (!p.ok() || (p.response.status >= 400)) throw_google_error("PUT", put.url, p);
    if (p.response.status == 308) {
      // "Range: bytes=0-N" says what the server has; continue from there.
      // No Range header: the server kept nothing yet.
      auto range = p.response.header("range");
      uint64_t next = 0;
      if (range) {
        auto last = parse_u64(range->substr(range->find('-') + 1));
        if (!last) malformed("a Range header '" + range->substr(0, 64) + "'");
        next = *last + 1;
      }
      stalled = next > offset ? 0 : stalled + 1;
      if (stalled >= 3) {
        throw Error(ErrorKind::kRemote,
                    fmt::format("gs://{}/{}: the resumable upload makes no progress at byte {}",
                                bucket, object, offset),
                    "try again later");
      }
      offset = next;
    } else {
      offset = size;
    }
  }
}

}  // namespace mlbox::cloud::gcp
