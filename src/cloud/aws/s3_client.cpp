#include "cloud/aws/s3_client.h"

#include <charconv>
#include <fstream>

#include <fmt/format.h>

#include "util/encoding.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/numbers.h"

namespace mlbox::cloud::aws {

namespace stdfs = std::filesystem;

namespace {

void append_utf8(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

[[noreturn]] void bad_reference(std::string_view ref) {
  throw Error(
      ErrorKind::kRemote,
      fmt::format("S3 answered XML with a malformed character reference '&{};'", ref.substr(0, 32)),
      "check that the endpoint is S3 or S3-compatible (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL)");
}

// XML character data with its five named entities and numeric references decoded.
std::string decode_xml_text(std::string_view v) {
  std::string d;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '&') {
      d += v[i];
      continue;
    }
    auto semi = v.find(';', i);
    if (semi == std::string_view::npos) bad_reference(v.substr(i + 1));
    std::string_view ent = v.substr(i + 1, semi - i - 1);
    if (ent == "amp") {
      d += '&';
    } else if (ent == "lt") {
      d += '<';
    } else if (ent == "gt") {
      d += '>';
    } else if (ent == "quot") {
      d += '"';
    } else if (ent == "apos") {
      d += '\'';
    } else if (ent.starts_with('#')) {
      bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
      auto code = parse_u64(ent.substr(hex ? 2 : 1), hex ? 16 : 10);
      // XML's Char production: no NUL, no surrogates, nothing past U+10FFFF.
      if (!code || *code == 0 || *code > 0x10FFFF || (*code >= 0xD800 && *code <= 0xDFFF))
        bad_reference(ent);
      append_utf8(d, static_cast<uint32_t>(*code));
    } else {
      bad_reference(ent);
    }
    i = semi;
  }
  return d;
}

}  // namespace

std::vector<std::string> xml_elements(std::string_view xml, std::string_view name) {
  std::vector<std::string> out;
  std::string open = fmt::format("<{}>", name), close = fmt::format("</{}>", name);
  size_t pos = 0;
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    pos += open.size();
    auto end = xml.find(close, pos);
    if (end == std::string_view::npos) break;
    out.push_back(decode_xml_text(xml.substr(pos, end - pos)));
    pos = end + close.size();
  }
  return out;
}

S3ListPage parse_list_objects_page(std::string_view xml) {
  S3ListPage page;
  for (const auto& c : xml_elements(xml, "Contents")) {
    S3Object obj;
    auto k = xml_elements(c, "Key");
    auto s = xml_elements(c, "Size");
    auto e = xml_elements(c, "ETag");
    if (k.empty()) continue;
    obj.key = k[0];
    if (!s.empty()) {
      auto size = parse_u64(s[0]);
      if (!size)
        throw Error(ErrorKind::kRemote,
                    fmt::format("S3 listed {} with the size '{}', not a number", obj.key,
                                s[0].substr(0, 32)),
                    "check that the endpoint is S3 or S3-compatible");
      obj.size = *size;
    }
    obj.etag = e.empty() ? "" : e[0];
    page.objects.push_back(obj);
  }
  auto truncated = xml_elements(xml, "IsTruncated");
  auto next = xml_elements(xml, "NextContinuationToken");
  if (!truncated.empty() && truncated[0] == "true" && !next.empty()) page.next_token = next[0];
  return page;
}

S3Client::S3Client(net::HttpClient& http, AwsCredentials credentials, std::string region,
                   std::string endpoint, S3Options options)
    : client_(http, s3_service(), std::move(credentials), region, endpoint),
      options_(options),
      region_(std::move(region)),
      endpoint_(client_.endpoint()) {}

S3Client::S3Client(net::HttpClient& http, CredentialsSource credentials, std::string region,
                   std::string endpoint, S3Options options)
    : client_(http, s3_service(), std::move(credentials), region, endpoint),
      options_(options),
      region_(std::move(region)),
      endpoint_(client_.endpoint()) {}

S3Client S3Client::from_chain(net::HttpClient& http, AwsCredentialChain& chain,
                              const std::string& region, S3Options options) {
  // The chain's endpoint (overrides, and .amazonaws.com.cn for China regions); a custom
  // endpoint (s3rver, MinIO) gets path-style addressing.
  std::string endpoint = chain.config().endpoint(s3_service(), region);
  if (chain.config().endpoint_overridden(s3_service())) options.path_style = true;
  chain.credentials();  // fail early, before any transfer starts
  return S3Client(
      http, [&chain] { return chain.credentials(); }, region, endpoint, options);
}

SigningOptions S3Client::signing() const {
  SigningOptions o = client_.signing_options();
  o.normalize_path = false;
  o.content_sha256_header = true;
  return o;
}

std::string S3Client::object_url(const std::string& bucket, const std::string& key,
                                 const std::string& query) const {
  std::string path = key.empty() ? "" : percent_encode(key, true);
  std::string url;
  if (options_.path_style) {
    url = fmt::format("{}/{}/{}", endpoint_, bucket, path);
  } else {
    auto scheme_end = endpoint_.find("://");
    url = fmt::format("{}://{}.{}/{}", endpoint_.substr(0, scheme_end), bucket,
                      endpoint_.substr(scheme_end + 3), path);
  }
  if (!query.empty()) url += "?" + query;
  return url;
}

std::optional<S3Object> S3Client::stat(const std::string& bucket, const std::string& key) {
  net::Request r;
  r.method = "HEAD";
  r.url = object_url(bucket, key);
  net::Outcome o = client_.send_raw(r, signing());
  if (o.ok() && o.response.status == 404) return std::nullopt;
  if (!o.ok() || o.response.status >= 300) {
    throw call_error(s3_service(), "HeadObject", r, o, AwsCredentials{"", "", "", "the chain"});
  }
  S3Object obj;
  obj.key = key;
  obj.size = parse_u64(o.response.header("content-length").value_or("0")).value_or(0);
  obj.etag = o.response.header("etag").value_or("");
  return obj;
}

void S3Client::put_bytes(const std::string& bucket, const std::string& key,
                         const std::string& bytes, const std::string& content_type) {
  net::Request r;
  r.method = "PUT";
  r.url = object_url(bucket, key);
  r.headers = {{"Content-Type", content_type}};
  r.body = bytes;
  client_.send("PutObject", r, signing());
}

void S3Client::put_file(const std::string& bucket, const std::string& key,
                        const stdfs::path& file) {
  uint64_t size = stdfs::file_size(file);
  last_parts_ = 0;
  if (size >= options_.multipart_threshold) {
    put_multipart(bucket, key, file, size);
    return;
  }
  net::Request r;
  r.method = "PUT";
  r.url = object_url(bucket, key);
  r.headers = {{"Content-Type", "application/octet-stream"}};
  r.body = net::FileRange{file, 0, size};
  client_.send("PutObject", r, signing());
}

void S3Client::put_multipart(const std::string& bucket, const std::string& key,
                             const stdfs::path& file, uint64_t size) {
  net::Request create;
  create.method = "POST";
  create.url = object_url(bucket, key, "uploads=");
  create.headers = {{"Content-Type", "application/octet-stream"}};
  auto ids =
      xml_elements(client_.send("CreateMultipartUpload", create, signing()).body, "UploadId");
  if (ids.empty()) {
    throw Error(ErrorKind::kRemote, "S3 CreateMultipartUpload for s3://" + bucket + "/" + key +
                                        " returned no UploadId");
  }
  std::string upload_id = ids[0];
  std::string upload_q = "uploadId=" + percent_encode(upload_id, false);
  std::string complete = "<CompleteMultipartUpload>";
  try {
    int part = 0;
    for (uint64_t off = 0; off < size; off += options_.part_size) {
      ++part;
      net::Request r;
      r.method = "PUT";
      r.url = object_url(bucket, key, fmt::format("partNumber={}&{}", part, upload_q));
      r.body = net::FileRange{file, off, std::min(options_.part_size, size - off)};
      net::Response resp = client_.send("UploadPart", r, signing());
      std::string etag = resp.header("etag").value_or("");
      complete +=
          fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", part, etag);
    }
    complete += "</CompleteMultipartUpload>";
    net::Request done;
    done.method = "POST";
    done.url = object_url(bucket, key, upload_q);
    done.headers = {{"Content-Type", "application/xml"}};
    done.body = complete;
    net::Response resp = client_.send("CompleteMultipartUpload", done, signing());
    // S3 can answer 200 with an <Error> body to CompleteMultipartUpload.
    if (resp.body.find("<Error>") != std::string::npos) {
      throw Error(ErrorKind::kRemote, "S3 CompleteMultipartUpload for s3://" + bucket + "/" + key +
                                          " failed: " + resp.body.substr(0, 300));
    }
    last_parts_ = part;
  } catch (...) {
    net::Request abort;
    abort.method = "DELETE";
    abort.url = object_url(bucket, key, upload_q);
    client_.send_raw(abort, signing(), net::RetryPolicy::none());
    throw;
  }
}

void S3Client::get_file(const std::string& bucket, const std::string& key,
                        const stdfs::path& dest) {
  if (dest.has_parent_path()) stdfs::create_directories(dest.parent_path());
  stdfs::path tmp = dest;
  tmp += ".part";
  {
    auto out = std::make_shared<std::ofstream>(tmp, std::ios::binary | std::ios::trunc);
    if (!*out) throw Error(ErrorKind::kInternal, "cannot write " + tmp.string());
    auto received = std::make_shared<uint64_t>(0);
    net::Request r;
    r.url = object_url(bucket, key);
    r.on_body = [out, received](const char* data, size_t n) {
      out->write(data, static_cast<std::streamsize>(n));
      *received += n;
      return static_cast<bool>(*out);
    };
    // A retry after a cut response starts the file over instead of appending to its half.
    r.on_body_restart = [out, received, tmp] {
      out->close();
      out->open(tmp, std::ios::binary | std::ios::trunc);
      *received = 0;
    };
    net::Outcome o = client_.send_raw(r, signing());
    out->close();
    if (o.ok() && o.response.status < 300) {
      // A connection closed early can look like a finished body: check the length S3 gave.
      auto length = o.response.header("content-length");
      uint64_t want = 0;
      bool known =
          length &&
          std::from_chars(length->data(), length->data() + length->size(), want).ec == std::errc();
      if (known && want != *received) {
        stdfs::remove(tmp);
        throw Error(ErrorKind::kNetwork,
                    fmt::format("s3://{}/{}: got {} bytes, the response said {}", bucket, key,
                                *received, want),
                    "try again");
      }
    }
    if (!o.ok() || o.response.status >= 300) {
      stdfs::remove(tmp);
      // The error body went to the file callback; re-ask without it for the message.
      if (o.ok()) {
        net::Request again;
        again.url = r.url;
        o = client_.send_raw(again, signing());
      }
      throw call_error(s3_service(), "GetObject", r, o, AwsCredentials{"", "", "", "the chain"});
    }
  }
  stdfs::rename(tmp, dest);
}

std::vector<S3Object> S3Client::list(const std::string& bucket, const std::string& prefix) {
  std::vector<S3Object> out;
  std::string token;
  for (;;) {
    std::string q = "list-type=2&prefix=" + percent_encode(prefix, false);
    if (!token.empty()) q += "&continuation-token=" + percent_encode(token, false);
    net::Request r;
    r.url = object_url(bucket, "", q);
    S3ListPage page = parse_list_objects_page(client_.send("ListObjectsV2", r, signing()).body);
    out.insert(out.end(), page.objects.begin(), page.objects.end());
    if (page.next_token.empty()) break;
    token = page.next_token;
  }
  return out;
}

}  // namespace mlbox::cloud::aws
