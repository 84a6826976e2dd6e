// Walks every case of the AWS SigV4 test suite (specs/aws/sigv4-testsuite, recursively)
// and checks mlbox's canonical request, string to sign and Authorization header against
// the suite's .creq, .sts and .authz files.
#include <doctest/doctest.h>

#include <strings.h>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cloud/aws/sigv4.h"
#include "util/error.h"

namespace fs = std::filesystem;
using namespace mlbox::cloud::aws;

namespace {

const fs::path kSuite = fs::path(MLBOX_SPECS_DIR) / "aws" / "sigv4-testsuite";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A .req file: request line, headers (folded lines start with whitespace), blank line, body.
struct SuiteRequest {
  std::string method, target;
  mlbox::net::Headers headers;
  std::string body;
};

SuiteRequest parse_req(const std::string& text) {
  SuiteRequest r;
  size_t pos = 0;
  auto next_line = [&](std::string& line) {
    if (pos > text.size()) return false;
    auto nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    line = text.substr(pos, nl - pos);
    pos = nl + 1;
    return true;
  };
  std::string line;
  REQUIRE(next_line(line));
  auto sp = line.find(' ');
  auto http = line.rfind(" HTTP/");
  r.method = line.substr(0, sp);
  r.target = line.substr(sp + 1, http - sp - 1);
  while (next_line(line)) {
    if (line.empty()) {
      if (pos <= text.size()) r.body = text.substr(pos);
      break;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !r.headers.empty()) {
      r.headers.back().second += "\n" + line;
      continue;
    }
    auto colon = line.find(':');
    r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return r;
}

std::string header(const mlbox::net::Headers& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n.size() == name.size() && strncasecmp(n.c_str(), name.data(), name.size()) == 0) return v;
  }
  return {};
}

// The suite signs get-vanilla-with-session-token with this token (it is not in the .req);
// the post-sts-token cases use the token their readme gives.
const char* kVanillaToken = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";

}  // namespace

TEST_CASE("sigv4: every case of the AWS test suite") {
  REQUIRE_MESSAGE(fs::is_directory(kSuite), "missing " << kSuite);
  int cases = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kSuite)) {
    if (entry.path().extension() != ".req") continue;
    fs::path dir = entry.path().parent_path();
    std::string name = entry.path().stem().string();
    CAPTURE(name);
    ++cases;
    SuiteRequest req = parse_req(slurp(entry.path()));

    AwsCredentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", "test"};
    SigningOptions opt;
    opt.region = "us-east-1";
    opt.service = "service";
    opt.amz_date = header(req.headers, "X-Amz-Date");
    creds.session_token = header(req.headers, "X-Amz-Security-Token");
    if (name == "get-vanilla-with-session-token") creds.session_token = kVanillaToken;
    if (name == "post-sts-header-after") {
      std::string sreq = slurp(dir / (name + ".sreq"));
      auto at = sreq.find("X-Amz-Security-Token:");
      REQUIRE(at != std::string::npos);
      creds.session_token = sreq.substr(at + 21, sreq.find('\n', at) - at - 21);
      opt.sign_session_token = false;
    }

    mlbox::net::Request request;
    request.method = req.method;
    request.url = "https://" + header(req.headers, "Host") + req.target;
    for (const auto& h : req.headers) {
      if (strcasecmp(h.first.c_str(), "X-Amz-Security-Token") != 0) request.headers.push_back(h);
    }
    if (!req.body.empty()) request.body = req.body;

    SignedParts parts = sign_request(request, creds, opt);
    CHECK(parts.canonical_request == slurp(dir / (name + ".creq")));
    CHECK(parts.string_to_sign == slurp(dir / (name + ".sts")));
    CHECK(parts.authorization == slurp(dir / (name + ".authz")));
    CHECK(header(request.headers, "Authorization") == parts.authorization);
    if (!creds.session_token.empty()) {
      CHECK(header(request.headers, "X-Amz-Security-Token") == creds.session_token);
    }
    if (name == "post-sts-header-after") {
      // The token goes on after the signature and is not among the signed headers.
      CHECK(request.headers.back().first == "X-Amz-Security-Token");
      CHECK(parts.authorization.find("x-amz-security-token") == std::string::npos);
    }
  }
  // 34 cases today (incl. normalize-path/* and post-sts-token/*); fewer means a broken walk.
  CHECK(cases >= 34);
}

TEST_CASE("sigv4: S3 paths are signed as sent, other services' are normalised") {
  CHECK(canonical_uri("/my-object//example//photo.user", false) ==
        "/my-object//example//photo.user");
  CHECK(canonical_uri("/my-object//example//photo.user", true) == "/my-object/example/photo.user");
  CHECK(canonical_uri("/a%20b", true) == "/a%2520b");  // botocore double-encodes non-S3
  CHECK(canonical_uri("", false) == "/");
}

TEST_CASE("sigv4: S3 content hash header, unsigned payload, retries re-sign cleanly") {
  AwsCredentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok", "test"};
  SigningOptions opt;
  opt.region = "us-east-1";
  opt.service = "s3";
  opt.amz_date = "20150830T123600Z";
  opt.normalize_path = false;
  opt.content_sha256_header = true;
  mlbox::net::Request r;
  r.method = "PUT";
  r.url = "http://127.0.0.1:4569/bucket/a//b.txt";
  r.body = std::string("hello");
  auto parts = sign_request(r, creds, opt);
  CHECK(header(r.headers, "X-Amz-Content-Sha256") ==
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  CHECK(parts.canonical_request.find("\n/bucket/a//b.txt\n") != std::string::npos);
  CHECK(parts.canonical_request.find("host:127.0.0.1:4569\n") != std::string::npos);
  CHECK(parts.authorization.find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
                                 "x-amz-security-token,") != std::string::npos);
  // Signing again (a retry) replaces rather than duplicates the signing headers.
  sign_request(r, creds, opt);
  int auth = 0;
  for (const auto& h : r.headers) auth += h.first == "Authorization";
  CHECK(auth == 1);
  CHECK(r.headers.size() == 4);

  opt.unsigned_payload = true;
  parts = sign_request(r, creds, opt);
  CHECK(parts.payload_hash == "UNSIGNED-PAYLOAD");
  CHECK(header(r.headers, "X-Amz-Content-Sha256") == "UNSIGNED-PAYLOAD");
}

TEST_CASE("sigv4: no credentials is an auth error") {
  mlbox::net::Request r;
  r.url = "https://ecr.us-east-1.amazonaws.com/";
  SigningOptions opt;
  opt.region = "us-east-1";
  opt.service = "ecr";
  try {
    sign_request(r, AwsCredentials{}, opt);
    FAIL("expected an error");
  } catch (const mlbox::Error& e) {
    CHECK(e.kind() == mlbox::ErrorKind::kAuth);
  }
}
