// AWS Signature Version 4 (header-based): canonical request, string to sign, derived
// signing key and the Authorization header, with HMAC-SHA256 from OpenSSL.
// Follows the AWS SigV4 test suite (specs/aws/sigv4-testsuite) and botocore: paths are
// normalised and URI-encoded for every service except S3, whose path is signed as sent.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/http_types.h"

namespace mlbox::cloud::aws {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials only
  std::string source;         // where they came from, for messages ("environment", ...)
  int64_t expires_at = 0;     // seconds since the epoch; 0: they do not expire
};

struct SigningOptions {
  std::string region;   // "us-east-1"
  std::string service;  // signing name: "ecr", "batch", "logs", "s3", "sts"
  // "20150830T123600Z"; empty: the current UTC time.
  std::string amz_date;
  // Remove dot segments and repeated slashes before encoding (every service but S3).
  bool normalize_path = true;
  // Add and sign "x-amz-content-sha256: <payload hash>" (S3 requires it).
  bool content_sha256_header = false;
  // Sign "UNSIGNED-PAYLOAD" instead of the body's hash (S3 streaming uploads).
  bool unsigned_payload = false;
  // Where X-Amz-Security-Token goes: signed (true; every current service) or added after
  // signing (false; the suite's post-sts-header-after case).
  bool sign_session_token = true;
};

// The parts of a signature, kept for tests and for --verbose traces (none is secret:
// the key never appears, and the signature is only valid for this one request).
struct SignedParts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
  std::string authorization;  // the Authorization header value
  std::string amz_date;
  std::string payload_hash;
};

// What the signer needs to know about a request. `path` and `query` are as they appear
// in the request line (before '?' and after it, without the '?').
struct CanonicalInput {
  std::string method;
  std::string path;
  std::string query;
  net::Headers headers;  // must include Host
  std::string payload_hash;
};

// Signs `input` (headers as given; X-Amz-Date / token / content-sha256 must already be
// present when they are to be signed). Throws Error(kAuth) for empty credentials.
SignedParts sign(const CanonicalInput& input, const AwsCredentials& creds,
                 const SigningOptions& options);

// Signs an outgoing request in place: adds X-Amz-Date, X-Amz-Security-Token (when the
// credentials carry one), X-Amz-Content-Sha256 (when asked) and Authorization. Host is
// taken from the URL (curl sends the same). A body read from a file is hashed from the
// file unless the payload is unsigned.
SignedParts sign_request(net::Request& request, const AwsCredentials& creds,
                         SigningOptions options);

// Building blocks, exposed for tests and for the S3 client.
std::string percent_decode(std::string_view text);
std::string canonical_uri(std::string_view path, bool normalize);
std::string canonical_query(std::string_view query);
std::string amz_date_now();
std::string amz_date_from(std::chrono::system_clock::time_point when);
// Lowercase hex HMAC-SHA256 signature of `string_to_sign` with the derived key.
std::string signature_for(const std::string& secret, std::string_view date, std::string_view region,
                          std::string_view service, std::string_view string_to_sign);

}  // namespace mlbox::cloud::aws
