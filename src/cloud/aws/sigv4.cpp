#include "cloud/aws/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "net/transport_config.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/strings.h"
#include "util/utc_time.h"

namespace mlbox::cloud::aws {

namespace {

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len)) {
    throw Error(ErrorKind::kInternal, "HMAC-SHA256 failed (OpenSSL)");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Trims the value and collapses runs of whitespace (folded lines included) into one space.
std::string canonical_header_value(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// RFC 3986 5.2.4 plus the removal of empty segments, as botocore does.
std::string remove_dot_segments(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string> out;
  for (const auto& seg : split(std::string(path), '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
    } else {
      out.push_back(seg);
    }
  }
  std::string result = path.front() == '/' ? "/" : "";
  result += join(out, "/");
  if (path.back() == '/' && !out.empty()) result += '/';
  return result;
}

std::string payload_hash_of(const net::Request& request) {
  if (const auto* s = std::get_if<std::string>(&request.body)) return sha256_hex(*s);
  if (const auto* f = std::get_if<net::FileRange>(&request.body)) {
    std::ifstream in(f->path, std::ios::binary);
    if (!in) throw Error(ErrorKind::kInternal, "cannot read " + f->path.string() + " to sign it");
    in.seekg(static_cast<std::streamoff>(f->offset));
    Sha256 h;
    std::vector<char> buf(1 << 16);
    uint64_t left = f->length;
    while (left > 0) {
      auto want = static_cast<std::streamsize>(std::min<uint64_t>(left, buf.size()));
      in.read(buf.data(), want);
      if (in.gcount() != want) {
        throw Error(ErrorKind::kInternal, "short read of " + f->path.string() + " while signing");
      }
      h.update(buf.data(), static_cast<size_t>(want));
      left -= static_cast<uint64_t>(want);
    }
    return h.finish_hex();
  }
  return sha256_hex("");
}

}  // namespace

std::string percent_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string canonical_uri(std::string_view path, bool normalize) {
  if (!normalize) return path.empty() ? "/" : std::string(path);
  return percent_encode(remove_dot_segments(path), true);
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& part : split(std::string(query), '&')) {
    if (part.empty()) continue;
    auto eq = part.find('=');
    std::string key = part.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : part.substr(eq + 1);
    pairs.emplace_back(percent_encode(percent_decode(key), false),
                       percent_encode(percent_decode(value), false));
  }
  std::sort(pairs.begin(), pairs.end());
  std::vector<std::string> parts;
  for (const auto& [k, v] : pairs) parts.push_back(k + "=" + v);
  return join(parts, "&");
}

std::string amz_date_from(std::chrono::system_clock::time_point when) {
  return format_utc(static_cast<int64_t>(std::chrono::system_clock::to_time_t(when)),
                    "%Y%m%dT%H%M%SZ");
}

std::string amz_date_now() {
  return amz_date_from(std::chrono::system_clock::now());
}

std::string signature_for(const std::string& secret, std::string_view date, std::string_view region,
                          std::string_view service, std::string_view string_to_sign) {
  std::string k = hmac("AWS4" + secret, date);
  k = hmac(k, region);
  k = hmac(k, service);
  k = hmac(k, "aws4_request");
  std::string sig = hmac(k, string_to_sign);
  return to_hex(reinterpret_cast<const uint8_t*>(sig.data()), sig.size());
}

SignedParts sign(const CanonicalInput& input, const AwsCredentials& creds,
                 const SigningOptions& options) {
  if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    throw Error(ErrorKind::kAuth, "no AWS credentials to sign the request with",
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE");
  }
  SignedParts parts;
  parts.payload_hash = input.payload_hash;

  // Headers: lowercase names, sorted; repeated headers joined with ',' in request order.
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : input.headers) {
    std::string key = lower(trim(name));
    std::string v = canonical_header_value(value);
    auto [it, fresh] = headers.emplace(key, v);
    if (!fresh) it->second += "," + v;
    if (key == "x-amz-date") parts.amz_date = v;
  }
  if (parts.amz_date.size() < 8) {
    throw Error(ErrorKind::kInternal, "SigV4: the request has no X-Amz-Date header to sign");
  }
  std::string canonical_headers;
  std::vector<std::string> names;
  for (const auto& [name, value] : headers) {
    canonical_headers += name + ":" + value + "\n";
    names.push_back(name);
  }
  std::string signed_headers = join(names, ";");

  parts.canonical_request = fmt::format(
      "{}\n{}\n{}\n{}\n{}\n{}", input.method, canonical_uri(input.path, options.normalize_path),
      canonical_query(input.query), canonical_headers, signed_headers, input.payload_hash);

  std::string date = parts.amz_date.substr(0, 8);
  std::string scope = fmt::format("{}/{}/{}/aws4_request", date, options.region, options.service);
  parts.string_to_sign = fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", parts.amz_date, scope,
                                     sha256_hex(parts.canonical_request));
  parts.signature = signature_for(creds.secret_access_key, date, options.region, options.service,
                                  parts.string_to_sign);
  parts.authorization =
      fmt::format("AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}",
                  creds.access_key_id, scope, signed_headers, parts.signature);
  return parts;
}

SignedParts sign_request(net::Request& request, const AwsCredentials& creds,
                         SigningOptions options) {
  if (options.amz_date.empty()) options.amz_date = amz_date_now();
  std::string scheme = lower(net::url_scheme(request.url));
  std::string authority = net::url_authority(request.url);
  if ((scheme == "https" && authority.ends_with(":443")) ||
      (scheme == "http" && authority.ends_with(":80"))) {
    authority = authority.substr(0, authority.rfind(':'));
  }
  std::string rest;
  auto start = request.url.find("://");
  if (start != std::string::npos) {
    auto slash = request.url.find('/', start + 3);
    if (slash != std::string::npos) rest = request.url.substr(slash);
  }
  auto frag = rest.find('#');
  if (frag != std::string::npos) rest.resize(frag);
  auto q = rest.find('?');
  CanonicalInput input;
  input.method = request.method;
  input.path = q == std::string::npos ? rest : rest.substr(0, q);
  if (input.path.empty()) input.path = "/";
  input.query = q == std::string::npos ? "" : rest.substr(q + 1);
  input.payload_hash = options.unsigned_payload ? "UNSIGNED-PAYLOAD" : payload_hash_of(request);

  // Drop anything a previous signing (a retry) added, then add this signing's headers.
  std::erase_if(request.headers, [](const auto& h) {
    std::string n = lower(h.first);
    return n == "authorization" || n == "x-amz-date" || n == "x-amz-security-token" ||
           n == "x-amz-content-sha256";
  });
  request.headers.emplace_back("X-Amz-Date", options.amz_date);
  if (options.content_sha256_header) {
    request.headers.emplace_back("X-Amz-Content-Sha256", input.payload_hash);
  }
  bool token_after = !creds.session_token.empty() && !options.sign_session_token;
  if (!creds.session_token.empty() && options.sign_session_token) {
    request.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  }
  bool has_host = false;
  for (const auto& [name, value] : request.headers) {
    std::string n = lower(name);
    // Headers curl removes ("Name:" with no value), and ones proxies may rewrite, are not
    // signed.
    if (value.empty() || n == "user-agent" || n == "expect" || n == "content-length") continue;
    if (n == "host") has_host = true;
    input.headers.emplace_back(name, value);
  }
  if (!has_host) input.headers.emplace_back("host", authority);
  SignedParts parts = sign(input, creds, options);
  request.headers.emplace_back("Authorization", parts.authorization);
  if (token_after) request.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  return parts;
}

}  // namespace mlbox::cloud::aws
